"""Solo quizzes: which question next, grading, explanation and points.

Choice order: questions never answered first, then ones whose latest answer was wrong,
then the rest, least recently answered first; ties broken by the injected ``rng`` so a
class does not all get the same question.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from bot.core.context import Activity, AlreadyCounted, CoreContext, Learner
from bot.core.option_order import Shown, shuffled
from bot.core.scoring import QUIZ_POINTS, REPEAT_POINTS, Award, award_activity
from bot.curriculum.models import Difficulty, Question
from bot.storage import quiz_answers
from bot.storage.quiz_answers import QuestionHistory


@dataclass(frozen=True)
class QuizOutcome:
    shown: Shown
    chosen: int  # the option's content index
    correct: bool
    award: Award

    @property
    def question(self) -> Question:
        return self.shown.question

    @property
    def correct_option(self) -> str:
        return self.question.answer

    @property
    def explanation(self) -> str:
        return self.question.explanation


class UnknownQuestion(LookupError):
    pass


def _priority(history: QuestionHistory | None) -> tuple[int, float]:
    if history is None:
        return (0, 0.0)
    return (1 if not history.last_correct else 2, history.last_at)


class Quiz:
    def __init__(self, ctx: CoreContext, rng: random.Random | None = None) -> None:
        self._ctx = ctx
        self._rng = rng or random.Random()

    def question(self, question_id: str, guild_id: int) -> Question:
        """A question of the course as ``guild_id``'s learners see it (its own included)."""
        question = self._ctx.course_for(guild_id).question(question_id)
        if question is None:
            raise UnknownQuestion(f"no question {question_id!r}")
        return question

    def pool(
        self, guild_id: int, lesson_id: str | None = None, difficulty: Difficulty | None = None
    ) -> list[Question]:
        return [
            q
            for q in self._ctx.course_for(guild_id).questions
            if (lesson_id is None or q.lesson == lesson_id)
            and (difficulty is None or q.difficulty == difficulty)
        ]

    async def next_question(
        self,
        who: Learner,
        lesson_id: str | None = None,
        difficulty: Difficulty | None = None,
    ) -> Shown | None:
        """The next question for this learner, its options freshly shuffled. Once every
        question of the pool has been answered, it repeats them (missed ones first) and
        says so with ``seen_before``."""
        chosen = await self._choose(who, lesson_id, difficulty)
        if chosen is None:
            return None
        question, seen_before, attempt = chosen
        shown = shuffled(question, self._rng)
        return replace(shown, seen_before=seen_before, attempt=attempt)

    def shown(self, question_id: str, order: str, guild_id: int) -> Shown:
        """A question as it was shown (a button carries the order it was shown in)."""
        return Shown.decode(self.question(question_id, guild_id), order)

    async def _choose(
        self, who: Learner, lesson_id: str | None, difficulty: Difficulty | None
    ) -> tuple[Question, bool, int] | None:
        candidates = self.pool(who.guild_id, lesson_id, difficulty)
        if not candidates:
            return None
        async with self._ctx.activity(who) as act:
            history = await quiz_answers.history(act.conn, who.guild_id, who.user_id)
        ranked = sorted(candidates, key=lambda q: _priority(history.get(q.id)))
        best = _priority(history.get(ranked[0].id))[0]
        group = [q for q in ranked if _priority(history.get(q.id))[0] == best]
        if best == 0:
            return self._rng.choice(group), False, 0
        chosen = group[0]
        return chosen, True, history[chosen.id].answered

    async def answer(self, who: Learner, shown: Shown, chosen: int) -> QuizOutcome:
        """Grade ``chosen`` (the option's content index) of a question shown as ``shown``."""
        question = shown.question
        if not 0 <= chosen < len(question.options):
            raise ValueError(f"option {chosen + 1} does not exist (1-{len(question.options)})")
        correct = chosen == question.answer_index
        async with self._ctx.activity(who) as act:
            if shown.attempt is not None and shown.attempt != await quiz_answers.answer_count(
                act.conn, who.guild_id, who.user_id, question.id
            ):
                raise AlreadyCounted("That answer was already counted.")
            points = 0
            if correct:
                before = await quiz_answers.answered_correctly(
                    act.conn, who.guild_id, who.user_id, question.id
                )
                points = REPEAT_POINTS if before else QUIZ_POINTS[question.difficulty]
            award = await record_answer(act, shown, chosen, points, source="solo")
        return QuizOutcome(shown, chosen, correct, award)


async def record_answer(
    act: Activity, shown: Shown, chosen: int, points: int, source: str
) -> Award:
    """Store one answer, what was chosen in which order, and its points; shared by solo
    and class quizzes."""
    question = shown.question
    answer = Recorded(
        question.id, question.lesson, chosen, chosen == question.answer_index, shown.order
    )
    return await store_answer(act, answer, points, source)


@dataclass(frozen=True)
class Recorded:
    """An answer as the progress keeps it: enough without the question itself, which a
    course reload may have removed by the time a crashed class quiz is recovered."""

    question_id: str
    lesson_id: str
    chosen: int  # the option's content index
    correct: bool
    order: tuple[int, ...]  # content indices in the order shown


async def store_answer(act: Activity, answer: Recorded, points: int, source: str) -> Award:
    award = await award_activity(act.conn, act.learner, points, act.now, act.timezone)
    await quiz_answers.record(
        act.conn,
        act.learner.guild_id,
        act.learner.user_id,
        answer.question_id,
        answer.lesson_id,
        answer.correct,
        act.now.timestamp(),
        points,
        source,
        answer.chosen,
        ",".join(map(str, answer.order)),
    )
    return award
