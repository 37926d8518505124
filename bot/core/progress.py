"""A learner's progress at a glance: what ``/progress`` and the console show."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.context import CoreContext, Learner
from bot.core.scoring import Leaderboard, Streak, displayed_streak, leaderboard, local_day
from bot.storage import cards, exercises, quiz_answers
from bot.storage.learners import RankRow
from bot.storage.quiz_answers import LessonAccuracy


@dataclass(frozen=True)
class ProgressReport:
    name: str
    points: int
    streak_current: int
    streak_best: int
    freezes: int
    due_cards: int
    accuracy: list[LessonAccuracy]
    rank: RankRow | None
    exercises_solved: int = 0
    exercises_total: int = 0

    @property
    def answered(self) -> int:
        return sum(a.answered for a in self.accuracy)

    @property
    def correct(self) -> int:
        return sum(a.correct for a in self.accuracy)


@dataclass(frozen=True)
class LessonProgress:
    lesson_id: str
    title: str
    cards_seen: int
    cards_total: int
    answered: int
    correct: int
    exercises_solved: int = 0
    exercises_total: int = 0
    by_teacher: bool = False  # the server's own lesson


class Progress:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx

    async def report(self, who: Learner) -> ProgressReport:
        async with self._ctx.activity(who) as act:
            row = act.learner
            streak = Streak(
                row.streak_current, row.streak_best, row.streak_freezes, row.last_active_day
            )
            live = (card.id for card in self._ctx.course_for(who.guild_id).flashcards)
            due = await cards.count_due(
                act.conn, who.guild_id, who.user_id, act.now.timestamp(), live
            )
            accuracy = await quiz_answers.accuracy_by_lesson(act.conn, who.guild_id, who.user_id)
            board = await leaderboard(
                act.conn, who.guild_id, who.user_id, "all-time", act.now, act.timezone
            )
            solved = await exercises.solved(act.conn, who.guild_id, who.user_id)
        offered = {e.id for e in self._ctx.course.exercises}
        return ProgressReport(
            name=row.display_name or who.name,
            points=row.points,
            streak_current=displayed_streak(streak, local_day(act.now, act.timezone)),
            streak_best=row.streak_best,
            freezes=row.streak_freezes,
            due_cards=due,
            accuracy=accuracy,
            rank=board.me,
            exercises_solved=len(solved & offered),
            exercises_total=len(offered),
        )

    async def by_lesson(self, who: Learner) -> list[LessonProgress]:
        """Per lesson, in course order: cards studied and quiz accuracy."""
        async with self._ctx.activity(who) as act:
            states = await cards.states(act.conn, who.guild_id, who.user_id)
            accuracy = await quiz_answers.accuracy_by_lesson(act.conn, who.guild_id, who.user_id)
            solved = await exercises.solved(act.conn, who.guild_id, who.user_id)
        answered = {a.lesson_id: a for a in accuracy}
        result = []
        for lesson in self._ctx.course_for(who.guild_id).lessons:
            ids = {card.id for card in lesson.flashcards}
            acc = answered.get(lesson.id)
            result.append(
                LessonProgress(
                    lesson.id,
                    lesson.title,
                    len(ids & set(states)),
                    len(ids),
                    acc.answered if acc else 0,
                    acc.correct if acc else 0,
                    sum(e.id in solved for e in lesson.exercises),
                    len(lesson.exercises),
                    lesson.by_teacher,
                )
            )
        return result

    async def leaderboard(self, who: Learner, period: str) -> Leaderboard:
        async with self._ctx.activity(who) as act:
            return await leaderboard(
                act.conn, who.guild_id, who.user_id, period, act.now, act.timezone
            )
