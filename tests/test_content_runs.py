"""Every code sample in the course really prints what the course says it prints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.curriculum import load_course
from bot.curriculum.models import QuestionKind
from tests.conftest import CONTENT

COURSE = load_course(CONTENT)
TIMEOUT_S = 10


def run_program(code: str) -> str:
    """Run ``code`` in a fresh isolated interpreter and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-I", "-X", "utf8", "-c", code],
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
    assert run_program(example.code) == example.output


@pytest.mark.parametrize("question", PREDICT)
def test_predict_the_output_answer_is_what_the_code_prints(question) -> None:
    assert run_program(question.code).rstrip("\n") == question.answer


def test_course_has_the_promised_amount_of_material() -> None:
    assert len(COURSE.lessons) >= 10
    assert len(COURSE.flashcards) >= 60
    assert len(COURSE.questions) >= 100
    assert len(PREDICT) >= 20
