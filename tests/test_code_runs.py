"""Running code through the core: examples that cannot run here say why, in one line."""

from __future__ import annotations

import pytest

from bot.core.code_runs import CodeRunFailed
from bot.curriculum.models import Course, Example
from tests.factories import CannedSandbox, make_lesson, open_tutor
from tests.test_console import printed


def course_with(*examples: Example) -> Course:
    lesson = make_lesson("alpha").model_copy(update={"examples": examples})
    return Course(title="Test", lessons=(lesson,))


@pytest.fixture
def sandbox() -> CannedSandbox:
    canned = CannedSandbox(respond=lambda code, stdin: printed("ran\n"))
    canned.health = lambda: _healthy("3.11.7")  # type: ignore[method-assign]
    return canned


async def _healthy(version: str) -> dict:
    return {"ok": True, "python": version}


async def test_an_example_for_a_newer_python_says_which_it_needs(tmp_path, clock, sandbox):
    tutor = await open_tutor(tmp_path, clock, sandbox)
    plain = Example(title="t", code="print(1)", output="1\n", explanation="x")
    newer = plain.model_copy(update={"python": ">=3.13"})
    tutor.ctx.courses.swap(course_with(plain, newer))
    try:
        assert (await tutor.code.run_example("alpha", 0)).stdout == "ran\n"
        with pytest.raises(CodeRunFailed, match=r"needs Python 3\.13; the code runner has 3\.11"):
            await tutor.code.run_example("alpha", 1)
    finally:
        await tutor.close()
    assert sandbox.runs == [("print(1)", "")]


async def test_a_text_only_example_is_never_sent_to_the_runner(tmp_path, clock, sandbox):
    tutor = await open_tutor(tmp_path, clock, sandbox)
    shown = Example(title="t", code="import pytest", output="", explanation="x", runnable=False)
    tutor.ctx.courses.swap(course_with(shown))
    try:
        with pytest.raises(CodeRunFailed, match="shown as text only"):
            await tutor.code.run_example("alpha", 0)
    finally:
        await tutor.close()
    assert sandbox.runs == []
