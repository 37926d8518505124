"""Class assignments: one exercise for the channel for N minutes, a summary at the end,
and the assignment outlives a restart."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.class_exercises import AssignmentSummary, ClassExerciseRefused
from bot.core.context import Learner
from bot.core.shards import ShardRange
from tests.conftest import both_engines
from tests.factories import CannedSandbox, ManualTimer, make_course, open_tutor

pytestmark = both_engines

ADA, BO, CY = Learner(1, 7, "ada"), Learner(1, 8, "bo"), Learner(1, 9, "cy")


class Board:
    """Records what the channel would show."""

    def __init__(self) -> None:
        self.announced: list[str] = []
        self.summaries: list[AssignmentSummary] = []
        self.posted = asyncio.Event()

    async def announce(self, exercise, ends_at) -> None:
        self.announced.append(exercise.id)

    async def finished(self, summary: AssignmentSummary) -> None:
        self.summaries.append(summary)
        self.posted.set()


@pytest.fixture
async def tutor(tmp_path, clock, database_target):
    core = await open_tutor(
        tmp_path, clock, CannedSandbox(), make_course(exercises=2), database=database_target
    )
    yield core
    await core.close()


async def test_at_the_end_the_channel_gets_who_solved_it_first(tutor, clock) -> None:
    timer = ManualTimer(clock)
    tutor.class_exercises.sleep = timer.sleep
    board = Board()
    await tutor.class_exercises.start(1, 500, 9, "alpha-x0", 20, board)
    assert board.announced == ["alpha-x0"]
    clock.advance(minutes=3)
    await tutor.exercises.submit(BO, "alpha-x0", "print()")
    clock.advance(minutes=2)
    await tutor.exercises.submit(BO, "alpha-x0", "solved")
    clock.advance(minutes=1)
    await tutor.exercises.submit(ADA, "alpha-x0", "solved")
    await tutor.exercises.submit(CY, "alpha-x0", "print()")
    await tutor.exercises.submit(CY, "alpha-x1", "solved")  # another exercise: not counted
    await timer.advance()  # the 20 minutes are up
    await board.posted.wait()
    [summary] = board.summaries
    assert (summary.solved, summary.attempts, summary.stopped) == (2, 4, False)
    assert [s.name for s in summary.first_solvers] == ["bo", "ada"]
    assert summary.first_solvers[0].solved_after_s == 5 * 60
    assert tutor.class_exercises.get(500) is None


async def test_a_teacher_stops_it_early_and_one_per_channel(tutor) -> None:
    tutor.class_exercises.sleep = lambda seconds: asyncio.Event().wait()
    board = Board()
    await tutor.class_exercises.start(1, 500, 9, "alpha-x0", 20, board)
    with pytest.raises(ClassExerciseRefused, match="already set"):
        await tutor.class_exercises.start(1, 500, 9, "alpha-x1", 20, Board())
    with pytest.raises(ClassExerciseRefused, match="minutes must be 1-180"):
        await tutor.class_exercises.start(1, 501, 9, "alpha-x1", 0, Board())
    summary = await tutor.class_exercises.stop(500)
    assert summary is not None and summary.stopped and summary.solved == 0
    assert await tutor.class_exercises.stop(500) is None


async def test_an_assignment_outlives_a_restart(tmp_path, tutor, clock, database_target) -> None:
    tutor.class_exercises.sleep = lambda seconds: asyncio.Event().wait()
    await tutor.class_exercises.start(1, 500, 9, "alpha-x0", 10, Board())
    await tutor.exercises.submit(ADA, "alpha-x0", "solved")
    await tutor.tasks.close()  # the process stops; the assignment stays in the database
    clock.advance(minutes=30)  # and comes back after it should have ended
    restarted = await open_tutor(
        tmp_path, clock, CannedSandbox(), make_course(exercises=2), database=database_target
    )
    board = Board()
    try:
        await restarted.class_exercises.recover(lambda guild: True, lambda row: board)
        await board.posted.wait()
        [summary] = board.summaries
        assert summary.solved == 1 and summary.minutes == 10
    finally:
        await restarted.close()


async def test_a_process_on_other_shards_leaves_an_assignment_to_its_own(
    tmp_path, tutor, clock, database_target
) -> None:
    tutor.class_exercises.sleep = lambda seconds: asyncio.Event().wait()
    await tutor.class_exercises.start(1, 500, 9, "alpha-x0", 10, Board())  # guild 1: shard 0/2
    other_shard = await open_tutor(
        tmp_path, clock, CannedSandbox(), make_course(exercises=2), database=database_target
    )
    board = Board()
    try:
        await other_shard.class_exercises.recover(ShardRange(1, 1, 2).holds, lambda row: board)
        assert other_shard.class_exercises.get(500) is None and board.summaries == []
    finally:
        await other_shard.close()
    assert tutor.class_exercises.get(500) is not None
