"""Every code sample in the course really prints what the course says it prints."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bot.curriculum import load_course
from bot.curriculum.models import QuestionKind
from tests.conftest import CONTENT

COURSE = load_course(CONTENT)
TIMEOUT_S = 10


PYENV = Path.home() / ".pyenv" / "versions"


def interpreter(needed: tuple[int, int] | None) -> str | None:
    """This Python, or an installed (pyenv) one at least ``needed``; None if there is none."""
    if needed is None or sys.version_info[:2] >= needed:
        return sys.executable
    for version in sorted(PYENV.glob("3.*"), key=lambda p: [int(x) for x in p.name.split(".")]):
        major, minor = (int(x) for x in version.name.split(".")[:2])
        if (major, minor) >= needed and (version / "bin" / "python").exists():
            return str(version / "bin" / "python")
    return None


def run_program(code: str, python: str = sys.executable) -> str:
    """Run ``code`` in a fresh isolated interpreter and return its stdout."""
    done = subprocess.run(
        [python, "-I", "-X", "utf8", "-c", code],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr}"
    return done.stdout


EXAMPLES = [
    pytest.param(example, id=f"{lesson.id}:{n}")
    for lesson in COURSE.lessons
    for n, example in enumerate(lesson.examples)
]
PREDICT = [
    pytest.param(q, id=q.id) for q in COURSE.questions if q.kind is QuestionKind.predict_output
]


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_prints_its_declared_output(example) -> None:
    if not example.runnable:  # needs a package we do not install: shown as text
        compile(example.code, example.title, "exec")
        return
    python = interpreter(example.min_python)
    if python is None:
        pytest.skip(f"needs Python {example.python}; none is installed here")
    assert run_program(example.code, python) == example.output


async def test_every_example_for_this_python_runs_in_the_sandbox_too() -> None:
    """What "Run it" does: each example in our own sandbox prints the same."""
    from tests.sandbox_helpers import running_sandbox

    here = [
        example
        for lesson in COURSE.lessons
        for example in lesson.examples
        if example.runnable and interpreter(example.min_python) == sys.executable
    ]
    async with running_sandbox() as worker:
        for example in here:
            result = await worker.run(example.code)
            assert (result["exit_code"], result["stdout"]) == (0, example.output), example.title


@pytest.mark.parametrize("question", PREDICT)
def test_predict_the_output_answer_is_what_the_code_prints(question) -> None:
    assert run_program(question.code).rstrip("\n") == question.answer


def test_course_has_the_promised_amount_of_material() -> None:
    assert len(COURSE.lessons) >= 17
    assert len(COURSE.flashcards) >= 140
    assert len(COURSE.questions) >= 230
    assert len(PREDICT) >= 60
    hard = [q for q in COURSE.questions if q.difficulty.value == "hard"]
    assert len(hard) >= 0.3 * len(COURSE.questions)


@pytest.mark.parametrize("lesson", COURSE.lessons, ids=lambda lesson: lesson.id)
def test_every_lesson_has_three_questions_at_each_difficulty(lesson) -> None:
    counts = Counter(q.difficulty.value for q in lesson.questions)
    assert min(counts[d] for d in ("easy", "medium", "hard")) >= 3, counts
