"""Exercises in the console: the same exercises as in Discord, code typed until a line
with only . or read from a file, and a class exercise."""

from __future__ import annotations

import io

import pytest

from bot.console.screen import Screen
from bot.console.session import Console
from tests.factories import CannedSandbox, ManualTimer, make_course, open_tutor
from tests.test_console import run_script


@pytest.fixture
def sandbox() -> CannedSandbox:
    return CannedSandbox()


@pytest.fixture
async def tutor(tmp_path, clock, sandbox):
    core = await open_tutor(tmp_path, clock, sandbox, make_course(exercises=2))
    yield core
    await core.close()


async def test_next_hint_typed_code_and_a_pass(tutor, sandbox) -> None:
    out = await run_script(
        tutor,
        ["/exercise next", "hint 1", "submit", "print('hi')", ".", "submit", "solved = 1", "."],
    )
    assert "Exercise · Alpha-X0 (alpha-x0, easy, 0 attempt(s))" in out
    assert "💡 Hint 1: Think." in out
    assert "❌ 0 of 1 check passed." in out and "  ❌ solved: nothing solved" in out
    assert "✅ Solved! +30 points" in out
    assert [code for code, _ in sandbox.runs] == ["print('hi')\n", "solved = 1\n"]


async def test_a_file_is_submitted_for_the_exercise_last_shown(tutor, sandbox, tmp_path) -> None:
    mine = tmp_path / "mine.py"
    mine.write_text("solved = 'from a file'\n")
    out = await run_script(
        tutor, ["/exercise show beta-x1", f"/exercise submit file:{mine}", "/exercise list"]
    )
    assert sandbox.runs[-1][0] == "solved = 'from a file'\n"
    assert "✅ beta-x1: Beta-X1" in out and "Exercises: 1 of 4 solved" in out
    missing = await run_script(tutor, [f"/exercise submit file:{tmp_path / 'nope.py'}"])
    assert "cannot read" in missing


async def test_the_solution_waits_until_it_is_earned(tutor) -> None:
    out = await run_script(tutor, ["/exercise show alpha-x1", "solution"])
    assert "] Solution" not in out and "A solution" not in out  # not offered yet
    out = await run_script(
        tutor,
        ["/exercise show alpha-x1"] + ["submit", "oops(", "."] * 3 + ["solution"],
    )
    assert "⚠️ Could not run the checks: SyntaxError" in out
    assert "A solution (yours may differ and be just as right):" in out


async def test_a_class_exercise_for_two_students(tutor, clock) -> None:
    timer = ManualTimer(clock)
    tutor.class_exercises.sleep = timer.sleep
    out = io.StringIO()
    teacher = Console(tutor, "teacher", Screen(out))
    for line in ["/class-exercise start exercise:alpha-x0 minutes:5", "/user bo",
                 "/exercise submit exercise:alpha-x0", "solved", ".", "/user cy",
                 "/exercise submit exercise:alpha-x0", "print()", ".", "/user teacher",
                 "/class-exercise stop"]:  # fmt: skip
        await teacher.handle(line)
    text = out.getvalue()
    assert "📝 Class exercise: Alpha-X0 (alpha-x0) until" in text
    assert "1 of 2 students solved it (2 attempts in all)." in text
    assert "1. bo: after 0 min 00 s (1 attempt)" in text
