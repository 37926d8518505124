"""Coding exercises: which one is next, progressive hints, grading in the sandbox,
points on the first pass, and the solution once it is earned.

Points follow the difficulty (30/45/60) on the first pass only, and none once the
solution was shown: the solution is a way to learn, not to score. It is offered after a
pass, or after ``SOLUTION_AFTER_FAILS`` failed attempts.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.code_runs import CodeRunFailed, CodeRuns, GradeResult
from bot.core.context import CoreContext, Learner
from bot.core.scoring import Award, award_activity
from bot.curriculum.models import Difficulty, Exercise
from bot.storage import exercises as store
from bot.storage.exercises import AttemptRow, ExerciseHistory

POINTS = {Difficulty.easy: 30, Difficulty.medium: 45, Difficulty.hard: 60}
SOLUTION_AFTER_FAILS = 3
MAX_CODE_BYTES = 64 * 1024


class UnknownExercise(LookupError):
    """No such exercise (any more); the message is fit to show."""


class SolutionLocked(Exception):
    """The solution is not offered yet; the message says when it will be."""


@dataclass(frozen=True)
class ExerciseStatus:
    exercise: Exercise
    attempts: int
    solved: bool
    solution_unlocked: bool
    solution_shown: bool
    last_code: str | None

    @property
    def draft(self) -> str:
        """What the code box starts with: the last attempt, else the starter."""
        return self.last_code if self.last_code is not None else self.exercise.starter


@dataclass(frozen=True)
class Graded:
    result: GradeResult
    first_pass: bool
    award: Award
    status: ExerciseStatus


class Exercises:
    def __init__(self, ctx: CoreContext, code: CodeRuns) -> None:
        self._ctx = ctx
        self._code = code

    def exercise(self, exercise_id: str) -> Exercise:
        exercise = self._ctx.course.exercise(exercise_id)
        if exercise is None:
            raise UnknownExercise(f"There is no exercise {exercise_id!r}; see /exercise list.")
        return exercise

    def pool(self, lesson_id: str | None = None) -> list[Exercise]:
        return [e for e in self._ctx.course.exercises if lesson_id in (None, e.lesson)]

    async def statuses(self, who: Learner, lesson_id: str | None = None) -> list[ExerciseStatus]:
        async with self._ctx.activity(who) as act:
            return [
                _status(e, await store.history(act.conn, who.guild_id, who.user_id, e.id))
                for e in self.pool(lesson_id)
            ]

    async def status(self, who: Learner, exercise_id: str) -> ExerciseStatus:
        exercise = self.exercise(exercise_id)
        async with self._ctx.activity(who) as act:
            history = await store.history(act.conn, who.guild_id, who.user_id, exercise.id)
        return _status(exercise, history)

    async def show(self, who: Learner, exercise_id: str) -> ExerciseStatus:
        """An exercise as it is shown to the learner, remembered as the one a submission
        without a name is for."""
        exercise = self.exercise(exercise_id)
        async with self._ctx.activity(who) as act:
            await store.set_last_shown(act.conn, who.guild_id, who.user_id, exercise.id)
            history = await store.history(act.conn, who.guild_id, who.user_id, exercise.id)
        return _status(exercise, history)

    async def last_shown(self, who: Learner) -> str | None:
        async with self._ctx.activity(who) as act:
            return await store.last_shown(act.conn, who.guild_id, who.user_id)

    async def next(self, who: Learner, lesson_id: str | None = None) -> ExerciseStatus | None:
        """The first unsolved exercise in course order, shown; None once all are solved."""
        unsolved = (s for s in await self.statuses(who, lesson_id) if not s.solved)
        first = next(unsolved, None)
        return None if first is None else await self.show(who, first.exercise.id)

    async def submit(self, who: Learner, exercise_id: str, code: str) -> Graded:
        """Grade ``code`` in the sandbox, then record the attempt; ``CodeRunFailed`` (with
        a message for the learner) when it cannot be graded, and nothing is recorded."""
        exercise = self.exercise(exercise_id)
        if len(code.encode()) > MAX_CODE_BYTES:
            raise CodeRunFailed(f"That is over {MAX_CODE_BYTES // 1024} KiB of code; trim it.")
        result = await self._code.grade(code, exercise.checks)
        passed = sum(check.status == "pass" for check in result.tests)
        async with self._ctx.activity(who) as act:
            before = await store.history(act.conn, who.guild_id, who.user_id, exercise.id)
            first_pass = result.status == "pass" and not before.solved
            points = POINTS[exercise.difficulty] if first_pass and not before.solution_shown else 0
            award = await award_activity(act.conn, act.learner, points, act.now, act.timezone)
            attempt = AttemptRow(exercise.id, exercise.lesson, result.status, passed,
                                 len(result.tests), code, act.now.timestamp(), points)  # fmt: skip
            await store.record(act.conn, who.guild_id, who.user_id, attempt)
            after = await store.history(act.conn, who.guild_id, who.user_id, exercise.id)
        return Graded(result, first_pass, award, _status(exercise, after))

    async def solution(self, who: Learner, exercise_id: str) -> str:
        """The model solution, once solved or after enough tries; from then on a first
        pass earns no points."""
        exercise = self.exercise(exercise_id)
        async with self._ctx.activity(who) as act:
            history = await store.history(act.conn, who.guild_id, who.user_id, exercise.id)
            if not _status(exercise, history).solution_unlocked:
                left = SOLUTION_AFTER_FAILS - history.failed
                raise SolutionLocked(
                    f"The solution opens once you pass, or after {left} more "
                    f"attempt{'s' if left != 1 else ''}. Try a hint first."
                )
            await store.solution_shown(
                act.conn, who.guild_id, who.user_id, exercise.id, act.now.timestamp()
            )
        return exercise.solution


def _status(exercise: Exercise, history: ExerciseHistory) -> ExerciseStatus:
    unlocked = history.solved or history.failed >= SOLUTION_AFTER_FAILS
    return ExerciseStatus(exercise, history.attempts, history.solved, unlocked,
                          history.solution_shown, history.last_code)  # fmt: skip
