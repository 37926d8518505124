"""Which questions measure something: classical item analysis of first attempts.

Per question: the share answered correctly, how often each option was chosen, and the
point-biserial discrimination (does answering it right go with doing well on the other
questions?). A question is flagged for review only with enough first attempts
(``MIN_ANSWERS``): a distractor chosen more often than the key, almost everyone right or
almost everyone wrong, or stronger students missing it more than weaker ones.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.context import CoreContext
from bot.curriculum.models import Course, Question
from bot.storage import quiz_answers
from bot.storage.quiz_answers import FirstAttempt

MIN_ANSWERS = 20
TOO_EASY = 0.95
TOO_HARD = 0.20


@dataclass(frozen=True)
class ItemReport:
    question: Question
    answers: int
    correct: float  # share of first attempts that were right
    chosen: tuple[int, ...]  # first attempts per option, in the content's order
    discrimination: float | None  # point-biserial; None when it cannot be computed

    @property
    def flags(self) -> list[str]:
        if self.answers < MIN_ANSWERS:
            return []
        found = []
        key = self.question.answer_index
        for index, count in enumerate(self.chosen):
            if index != key and count > self.chosen[key]:
                found.append(
                    f"distractor {self.question.options[index]!r} chosen more often than the "
                    f"key ({count} vs {self.chosen[key]})"
                )
        if self.correct > TOO_EASY:
            found.append(f"too easy: {self.correct:.0%} right")
        if self.correct < TOO_HARD:
            found.append(f"too hard: {self.correct:.0%} right")
        if self.discrimination is not None and self.discrimination < 0:
            found.append(
                f"negative discrimination ({self.discrimination:.2f}): "
                "students who do well elsewhere miss it more"
            )
        return found


def analyse(course: Course, attempts: Iterable[FirstAttempt]) -> list[ItemReport]:
    """A report for every question of the course that has first attempts, course order."""
    by_question: dict[str, list[FirstAttempt]] = defaultdict(list)
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])  # right, answered
    for attempt in attempts:
        by_question[attempt.question_id].append(attempt)
        total = totals[(attempt.guild_id, attempt.user_id)]
        total[0] += attempt.correct
        total[1] += 1
    reports = []
    for question in course.questions:
        answered = by_question.get(question.id)
        if not answered:
            continue
        chosen = [0] * len(question.options)
        for attempt in answered:
            if 0 <= attempt.chosen < len(chosen):
                chosen[attempt.chosen] += 1
        right = sum(a.correct for a in answered) / len(answered)
        pairs = [
            (a.correct, rest)
            for a in answered
            if (rest := _rest_score(totals[(a.guild_id, a.user_id)], a.correct)) is not None
        ]
        reports.append(ItemReport(question, len(answered), right, tuple(chosen), _pb(pairs)))
    return reports


def _rest_score(total: list[int], correct: int) -> float | None:
    """The learner's share right on every other question (their totals less this one
    answer: one pass over the attempts, not one per question), or None if there is none."""
    right, answered = total
    return (right - correct) / (answered - 1) if answered > 1 else None


def _pb(pairs: list[tuple[int, float]]) -> float | None:
    """Point-biserial correlation of right/wrong with the rest score."""
    if len(pairs) < 2:
        return None
    scores = [score for _, score in pairs]
    mean = sum(scores) / len(scores)
    spread = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    right = [score for ok, score in pairs if ok]
    wrong = [score for ok, score in pairs if not ok]
    if spread == 0 or not right or not wrong:
        return None
    p = len(right) / len(pairs)
    difference = sum(right) / len(right) - sum(wrong) / len(wrong)
    return difference / spread * math.sqrt(p * (1 - p))


class ItemAnalysis:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx

    async def report(self, guild_id: int | None = None) -> list[ItemReport]:
        """Every question with first attempts (in one guild, or everywhere)."""
        attempts = await quiz_answers.first_attempts(self._ctx.db, guild_id)
        course = self._ctx.course if guild_id is None else self._ctx.course_for(guild_id)
        return analyse(course, attempts)
