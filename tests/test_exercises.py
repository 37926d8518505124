"""Coding exercises in the core: the next one, grading through the sandbox, points on the
first pass, attempts, and the solution once earned."""

from __future__ import annotations

import pytest

from bot.core.code_runs import CodeRunFailed
from bot.core.context import Learner
from bot.core.exercises import POINTS, SolutionLocked, UnknownExercise
from bot.curriculum.models import Difficulty
from bot.storage import learners
from tests.conftest import both_engines
from tests.factories import CannedSandbox, make_course, open_tutor

pytestmark = both_engines

ADA = Learner(1, 7, "ada")


@pytest.fixture
def sandbox() -> CannedSandbox:
    return CannedSandbox()


@pytest.fixture
async def tutor(tmp_path, clock, sandbox, database_target):
    core = await open_tutor(
        tmp_path, clock, sandbox, make_course(exercises=3), database=database_target
    )
    yield core
    await core.close()


async def points_of(tutor, who: Learner) -> int:
    async with tutor.ctx.db.transaction() as conn:
        row = await learners.get(conn, who.guild_id, who.user_id)
    return 0 if row is None else row.points


async def test_the_next_exercise_is_the_first_unsolved_in_course_order(tutor) -> None:
    first = await tutor.exercises.next(ADA)
    assert first is not None and first.exercise.id == "alpha-x0"
    assert first.draft == first.exercise.starter
    await tutor.exercises.submit(ADA, "alpha-x0", "solved = True")
    assert (await tutor.exercises.next(ADA)).exercise.id == "alpha-x1"
    assert (await tutor.exercises.next(ADA, "beta")).exercise.id == "beta-x0"


async def test_a_first_pass_earns_the_difficultys_points_once(tutor) -> None:
    graded = await tutor.exercises.submit(ADA, "alpha-x0", "solved = True")
    assert graded.result.status == "pass" and graded.first_pass
    assert graded.award.points == POINTS[Difficulty.easy] == 30
    again = await tutor.exercises.submit(ADA, "alpha-x0", "solved = 'again'")
    assert not again.first_pass and again.award.points == 0
    assert again.status.attempts == 2 and again.status.solved
    hard = await tutor.exercises.submit(ADA, "alpha-x2", "solved")
    assert hard.award.points == 60


async def test_a_failed_attempt_is_recorded_and_the_draft_is_the_last_code(tutor) -> None:
    graded = await tutor.exercises.submit(ADA, "alpha-x0", "print('not yet')")
    assert graded.result.status == "fail" and graded.award.points == 0
    status = await tutor.exercises.status(ADA, "alpha-x0")
    assert status.attempts == 1 and not status.solved
    assert status.draft == "print('not yet')"


async def test_the_solution_opens_after_three_failed_attempts_and_then_earns_nothing(
    tutor,
) -> None:
    for attempt in range(3):
        with pytest.raises(SolutionLocked, match=f"after {3 - attempt} more"):
            await tutor.exercises.solution(ADA, "alpha-x1")
        await tutor.exercises.submit(ADA, "alpha-x1", "oops(")
    assert await tutor.exercises.solution(ADA, "alpha-x1") == "solved = True\n"
    graded = await tutor.exercises.submit(ADA, "alpha-x1", "solved = True")
    assert graded.first_pass and graded.award.points == 0


async def test_the_solution_opens_once_solved(tutor) -> None:
    await tutor.exercises.submit(ADA, "alpha-x0", "solved")
    assert (await tutor.exercises.status(ADA, "alpha-x0")).solution_unlocked
    assert await tutor.exercises.solution(ADA, "alpha-x0") == "solved = True\n"


async def test_code_that_cannot_be_graded_records_nothing(tutor, sandbox) -> None:
    sandbox.up = False
    with pytest.raises(CodeRunFailed, match="not available"):
        await tutor.exercises.submit(ADA, "alpha-x0", "solved")
    with pytest.raises(CodeRunFailed, match="64 KiB"):
        await tutor.exercises.submit(ADA, "alpha-x0", "x" * (64 * 1024 + 1))
    assert (await tutor.exercises.status(ADA, "alpha-x0")).attempts == 0
    assert await points_of(tutor, ADA) == 0


async def test_an_unknown_exercise_is_one_clear_message(tutor) -> None:
    with pytest.raises(UnknownExercise, match="no exercise 'nope'"):
        await tutor.exercises.submit(ADA, "nope", "solved")


async def test_progress_counts_the_exercises_solved(tutor) -> None:
    await tutor.exercises.submit(ADA, "alpha-x0", "solved")
    await tutor.exercises.submit(ADA, "beta-x1", "print()")
    report = await tutor.progress.report(ADA)
    assert (report.exercises_solved, report.exercises_total) == (1, 6)
    lessons = {p.lesson_id: p for p in await tutor.progress.by_lesson(ADA)}
    assert (lessons["alpha"].exercises_solved, lessons["alpha"].exercises_total) == (1, 3)
    assert lessons["beta"].exercises_solved == 0


async def test_a_submission_without_a_name_is_for_the_exercise_last_shown(tutor) -> None:
    assert await tutor.exercises.last_shown(ADA) is None
    await tutor.exercises.next(ADA, "beta")
    assert await tutor.exercises.last_shown(ADA) == "beta-x0"
    await tutor.exercises.show(ADA, "alpha-x2")
    assert await tutor.exercises.last_shown(ADA) == "alpha-x2"


def test_the_same_output_of_every_check_is_shown_once() -> None:
    from bot.render.exercises import student_output
    from bot.sandbox.result import CheckResult, GradeResult

    same = GradeResult("fail", "", (CheckResult("a", "fail", "", "hi\n"),
                                    CheckResult("b", "fail", "", "hi\n")), 1.0)  # fmt: skip
    assert student_output(same) == "hi\n"
    different = GradeResult("fail", "", (CheckResult("a", "fail", "", "1\n"),
                                         CheckResult("b", "pass", "", "2\n")), 1.0)  # fmt: skip
    assert student_output(different) == "[a]\n1\n[b]\n2\n"
