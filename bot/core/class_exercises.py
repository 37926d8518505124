"""Class assignments: a teacher sets one exercise for the channel for N minutes; students
submit privately (ordinary ``/exercise`` submissions); at the end a summary is posted.

The assignment is a row, so it outlives a restart: at start each frontend calls
``recover``, which posts the summary of any that ended while the bot was down and resumes
the timer of the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.core.clock import Sleep
from bot.core.context import CoreContext
from bot.core.tasks import TaskKeeper
from bot.curriculum.models import Exercise
from bot.storage import exercises as store
from bot.storage.exercises import AssignmentRow

log = logging.getLogger(__name__)

MIN_MINUTES, MAX_MINUTES, DEFAULT_MINUTES = 1, 180, 20
FIRST_SOLVERS_SHOWN = 3


class ClassExerciseRefused(Exception):
    """The assignment cannot start; the message is fit to show the teacher."""


@dataclass(frozen=True)
class Solver:
    user_id: int
    name: str
    attempts: int
    solved_after_s: float | None  # None: not solved


@dataclass(frozen=True)
class AssignmentSummary:
    exercise: Exercise | None  # None if it left the course meanwhile
    exercise_id: str
    minutes: int
    stopped: bool  # ended early by the teacher
    students: tuple[Solver, ...]  # who tried, first solvers first

    @property
    def solved(self) -> int:
        return sum(s.solved_after_s is not None for s in self.students)

    @property
    def attempts(self) -> int:
        return sum(s.attempts for s in self.students)

    @property
    def first_solvers(self) -> tuple[Solver, ...]:
        return tuple(s for s in self.students if s.solved_after_s is not None)[:FIRST_SOLVERS_SHOWN]


class AssignmentPresenter(Protocol):
    async def announce(self, exercise: Exercise, ends_at: datetime) -> None: ...
    async def finished(self, summary: AssignmentSummary) -> None: ...


class ClassExercises:
    def __init__(
        self,
        ctx: CoreContext,
        exercise: Callable[[str], Exercise],
        tasks: TaskKeeper,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.sleep = sleep  # public so tests can drive time
        self._ctx = ctx
        self._exercise = exercise
        self._tasks = tasks
        self._running: dict[int, tuple[AssignmentRow, asyncio.Task[None]]] = {}

    def get(self, channel_id: int) -> AssignmentRow | None:
        running = self._running.get(channel_id)
        return running[0] if running else None

    async def start(
        self,
        guild_id: int,
        channel_id: int,
        teacher_id: int,
        exercise_id: str,
        minutes: int,
        presenter: AssignmentPresenter,
    ) -> AssignmentRow:
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise ClassExerciseRefused(f"minutes must be {MIN_MINUTES}-{MAX_MINUTES}.")
        if channel_id in self._running:
            raise ClassExerciseRefused(
                "An exercise is already set in this channel; /class-exercise stop ends it."
            )
        exercise = self._exercise(exercise_id)
        now = self._ctx.now()
        ends_at = now + timedelta(minutes=minutes)
        async with self._ctx.db.transaction() as conn:
            row_id = await store.start_assignment(
                conn, guild_id, channel_id, exercise.id, teacher_id,
                now.timestamp(), ends_at.timestamp(),
            )  # fmt: skip
        row = AssignmentRow(row_id, guild_id, channel_id, exercise.id, teacher_id,
                            now.timestamp(), ends_at.timestamp(), "running")  # fmt: skip
        self._watch(row, presenter)
        try:
            await presenter.announce(exercise, ends_at)
        except BaseException:
            await self.stop(channel_id, tell=False)
            raise
        return row

    def _watch(self, row: AssignmentRow, presenter: AssignmentPresenter) -> None:
        task = self._tasks.spawn(self._run(row, presenter), name=f"class-exercise-{row.channel_id}")
        self._running[row.channel_id] = (row, task)
        task.add_done_callback(lambda _: self._forget(row.channel_id, task))

    def _forget(self, channel_id: int, task: asyncio.Task[None]) -> None:
        if channel_id in self._running and self._running[channel_id][1] is task:
            del self._running[channel_id]

    async def _run(self, row: AssignmentRow, presenter: AssignmentPresenter) -> None:
        while (left := row.ends_at - self._ctx.now().timestamp()) > 0:
            await self.sleep(left)
        self._running.pop(row.channel_id, None)  # time is up: the channel is free
        await self._finish(row, presenter, stopped=False)

    async def stop(self, channel_id: int, *, tell: bool = True) -> AssignmentSummary | None:
        """End the channel's assignment now; its summary (None if none was running)."""
        running = self._running.pop(channel_id, None)
        if running is None:
            return None
        row, task = running
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return await self._finish(row, None, stopped=True) if tell else None

    async def _finish(
        self, row: AssignmentRow, presenter: AssignmentPresenter | None, stopped: bool
    ) -> AssignmentSummary | None:
        """Mark it finished (once, however many paths race here) and build the summary;
        the presenter, when given, posts it."""
        async with self._ctx.db.transaction() as conn:
            if not await store.finish_assignment(conn, row.id):
                return None
        summary = await self.summary(row, stopped)
        if presenter is not None:
            await presenter.finished(summary)
        return summary

    async def summary(self, row: AssignmentRow, stopped: bool = False) -> AssignmentSummary:
        until = min(self._ctx.now().timestamp(), row.ends_at)
        attempts = await store.assignment_attempts(self._ctx.db, row, until)
        students = sorted(
            (Solver(a.user_id, a.name, a.attempts,
                    None if a.first_pass_at is None else a.first_pass_at - row.started_at)
             for a in attempts),
            key=lambda s: (s.solved_after_s is None, s.solved_after_s or 0.0, s.user_id),
        )  # fmt: skip
        minutes = round((row.ends_at - row.started_at) / 60)
        exercise = self._ctx.course.exercise(row.exercise_id)
        return AssignmentSummary(exercise, row.exercise_id, minutes, stopped, tuple(students))

    async def recover(
        self,
        scope: Callable[[int], bool],
        presenter_for: Callable[[AssignmentRow], AssignmentPresenter],
    ) -> None:
        """After a restart: post the summaries of assignments that ended meanwhile, and
        keep timing the others."""
        for row in await store.running_assignments(self._ctx.db):
            if not scope(row.guild_id) or row.channel_id in self._running:
                continue
            self._watch(row, presenter_for(row))
