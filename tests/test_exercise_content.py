"""Every exercise in the course, graded through the sandbox as a student's submission
would be: its solution passes, its starter fails, and each wrong solution fails on the
check it names. Plus the command line that CI and teachers use."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.curriculum import Difficulty, Exercise, load_course
from bot.sandbox.grading import GradeRequest, grade
from bot.sandbox.limits import Limits
from bot.sandbox.pool import SandboxPool
from bot.sandbox.result import GradeResult
from tests.cli import run_bot
from tests.conftest import CONTENT
from tests.test_content_validation import LESSON, problems_of, write_course

COURSE = load_course(CONTENT)
# Roomy: a busy machine must never turn a correct solution's grading into a timeout.
ROOMY = Limits(wall_s=60)


@pytest.fixture
async def pool() -> AsyncIterator[SandboxPool]:
    pool = await SandboxPool.open(ROOMY, size=2, queue_size=64, prewarm=0)
    try:
        yield pool
    finally:
        await pool.close()


def test_the_course_has_exercises_of_every_difficulty_each_in_its_lesson() -> None:
    counts = Counter(exercise.difficulty for exercise in COURSE.exercises)
    assert len(COURSE.exercises) >= 5
    assert counts[Difficulty.hard] >= 2
    assert set(counts) == set(Difficulty)
    assert all(COURSE.lesson(exercise.lesson) for exercise in COURSE.exercises)


@pytest.mark.parametrize("exercise", [pytest.param(e, id=e.id) for e in COURSE.exercises])
async def test_solution_passes_and_starter_and_mistakes_fail(
    exercise: Exercise, pool: SandboxPool
) -> None:
    async def graded(code: str) -> GradeResult:
        return await grade(pool, GradeRequest.build(code, exercise.checks, ROOMY))

    codes = [exercise.solution, exercise.starter, *(w.code for w in exercise.wrong_solutions)]
    solution, starter, *mistakes = await asyncio.gather(*map(graded, codes))
    assert solution.status == "pass", solution
    assert starter.status == "fail", starter
    for wrong, result in zip(exercise.wrong_solutions, mistakes, strict=True):
        statuses = {test.name: test.status for test in result.tests}
        assert statuses.get(wrong.fails) == "fail", (wrong.code, result)


def test_exercise_list_prints_id_lesson_and_difficulty(tmp_path: Path) -> None:
    done = run_bot(["exercise", "list"], tmp_path / "db")
    assert done.returncode == 0, done.stderr
    expected = [f"{e.id}\t{e.lesson}\t{e.difficulty}" for e in COURSE.exercises]
    assert done.stdout.splitlines() == expected


def test_exercise_show_prints_the_statement_then_the_starter(tmp_path: Path) -> None:
    exercise = COURSE.exercises[0]
    done = run_bot(["exercise", "show", exercise.id], tmp_path / "db")
    assert done.returncode == 0, done.stderr
    statement_at = done.stdout.index(exercise.statement)
    assert done.stdout.index(f"```python\n{exercise.starter}\n```") > statement_at


@pytest.mark.parametrize(
    ("which", "code", "exit_code", "status"),
    [
        ("solution", None, 0, "pass"),
        ("starter", None, 1, "fail"),
        ("broken", "def fetch_pages(:\n", 2, "error"),
    ],
)
def test_exercise_check_grades_a_file(
    tmp_path: Path, which: str, code: str | None, exit_code: int, status: str
) -> None:
    exercise = COURSE.exercises[0]
    submission = tmp_path / "submission.py"
    submission.write_text(code if code is not None else getattr(exercise, which))
    done = run_bot(["exercise", "check", exercise.id, str(submission)], tmp_path / "db")
    assert done.returncode == exit_code, done.stderr
    result = GradeResult.from_json(json.loads(done.stdout))
    assert result.status == status


@pytest.mark.parametrize(
    "args",
    [
        ["exercise", "check", "no-such-exercise", "README.md"],
        ["exercise", "check", COURSE.exercises[0].id, "no/such/file.py"],
        ["exercise", "show", "no-such-exercise"],
        ["exercise", "check"],
    ],
)
def test_an_unknown_exercise_or_missing_file_is_a_usage_error(
    tmp_path: Path, args: list[str]
) -> None:
    done = run_bot(args, tmp_path / "db")
    assert done.returncode == 64
    assert done.stdout == ""
    assert "Traceback" not in done.stderr


# Appended to the known-good lesson of test_content_validation (29 lines): lines 30-50.
EXERCISE = """\
exercises:
  - id: alpha-x1
    title: Add
    difficulty: easy
    statement: Write it.
    starter: "def add(a, b):\\n    pass\\n"
    hints: [Use plus., Return it.]
    solution: |
      def add(a, b):
          return a + b
    wrong_solutions:
      - fails: adds
        code: "def add(a, b):\\n    return a - b\\n"
    checks: |
      @check
      async def adds(solution, io):
          return solution.add(1, 2)

      @adds.verify
      def _(result, log):
          assert result == 3
"""


def test_a_valid_exercise_loads_with_its_lesson(tmp_path: Path) -> None:
    course = load_course(write_course(tmp_path, LESSON + EXERCISE))
    exercise = course.exercise("alpha-x1")
    assert exercise is not None and exercise.lesson == "alpha"


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("fails: adds", "fails: subtracts", 41, "no check named 'subtracts' (the checks are adds)"),
        ("          return a + b", "          return a +", 39, "solution: does not compile"),
        ("      @adds.verify\n", "", 45, "checks: check 'adds' has no @adds.verify"),
        ("async def adds", "def adds", 45, "checks: check 'adds' must be an async def"),
        ("(solution, io)", "(solution)", 45, "checks: check 'adds' takes (solution, io)"),
        ("      @check\n", "", 48, "checks: verify of 'adds', which is not a check above"),
        ("return solution.add(1, 2)", "return (", 46, "checks: does not compile"),
    ],
)
def test_a_broken_exercise_is_reported_at_its_line(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in EXERCISE
    root = write_course(tmp_path, LESSON + EXERCISE.replace(old, new))
    problems = problems_of(root)
    assert any(p.startswith(f"{root}/lessons/alpha.yaml:{line}: {message}") for p in problems), (
        problems
    )


def test_content_check_counts_the_exercises(tmp_path: Path) -> None:
    done = run_bot(["content", "check"], tmp_path / "db")
    hard = sum(e.difficulty is Difficulty.hard for e in COURSE.exercises)
    assert f"exercises: {len(COURSE.exercises)} ({hard} hard)\n" in done.stdout
