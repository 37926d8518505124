"""The class report: who is falling behind, and on what (``/class-report``).

For one guild over a period (the last 7 or 30 local days, or all time), optionally one
lesson: per student their active days, streak, cards reviewed, quiz accuracy on first
attempts, exercises solved and last active day; per lesson the class's first-attempt
accuracy; per question the item analysis of the first attempts made in the period. The
course is the one the server's students see (its own uploaded content included).

The students are the guild's learner rows: everyone the bot has seen use it there. The
bot asks Discord for no member list (no privileged intent), so a member who never used
it is not listed; forget-me deletes the row, so they are absent. The lesson narrows the
cards, answers, exercises and questions; active days, streak and last active day stay
the student's whole activity. Without a lesson, every review counts, retired cards too.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.context import CoreContext
from bot.core.item_analysis import ItemReport, analyse
from bot.core.scoring import Streak, displayed_streak, local_day, local_midnight
from bot.curriculum.models import Course, Lesson, Question
from bot.storage import class_activity, guild_settings, quiz_answers
from bot.storage.activity_quarters import QUARTER_HOUR
from bot.storage.class_activity import QuarterActivity
from bot.storage.learners import LearnerRow
from bot.storage.quiz_answers import FirstAttempt

PERIODS = ("week", "month", "all-time")
PERIOD_DAYS = {"week": 7, "month": 30}  # local days, today included


@dataclass(frozen=True)
class StudentRow:
    user_id: int
    name: str
    active_days: int
    streak: int
    cards_reviewed: int
    first_attempts: int
    first_correct: int
    exercises_solved: int  # exercises of the scope passed in the period
    last_active: date | None

    @property
    def accuracy(self) -> float | None:
        return self.first_correct / self.first_attempts if self.first_attempts else None


@dataclass(frozen=True)
class LessonRow:
    lesson: Lesson
    first_attempts: int
    first_correct: int
    students: int  # who answered at least one of its questions

    @property
    def accuracy(self) -> float | None:
        return self.first_correct / self.first_attempts if self.first_attempts else None


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    item: ItemReport | None  # None: no first attempt in the period

    @property
    def answers(self) -> int:
        return self.item.answers if self.item else 0

    @property
    def flags(self) -> list[str]:
        return self.item.flags if self.item else []

    @property
    def most_chosen_wrong(self) -> tuple[str, int] | None:
        """The wrong option chosen most often, and how often (None if none was)."""
        if self.item is None:
            return None
        key = self.question.answer_index
        wrong = [(n, i) for i, n in enumerate(self.item.chosen) if i != key and n > 0]
        if not wrong:
            return None
        count, index = max(wrong, key=lambda pair: (pair[0], -pair[1]))
        return self.question.options[index], count


@dataclass(frozen=True)
class ClassReport:
    guild_id: int
    period: str
    first_day: date | None  # None: all time
    today: date
    timezone: str
    lesson: Lesson | None
    students: tuple[StudentRow, ...]  # by name
    lessons: tuple[LessonRow, ...]  # course order
    questions: tuple[QuestionRow, ...]  # course order

    @property
    def behind_first(self) -> list[StudentRow]:
        """Students needing attention first: fewest active days, then lowest accuracy
        (no answer counts lowest), then fewest cards."""
        return sorted(
            self.students,
            key=lambda s: (s.active_days, s.accuracy or 0.0, s.cards_reviewed, s.name.lower()),
        )

    @property
    def weakest_lessons(self) -> list[LessonRow]:
        """Lessons with first attempts, lowest class accuracy first."""
        answered = [row for row in self.lessons if row.first_attempts]
        return sorted(answered, key=lambda row: (row.accuracy or 0.0, -row.first_attempts))

    @property
    def to_review(self) -> list[QuestionRow]:
        """Answered questions: those item analysis flags first, then least often right."""
        answered = [row for row in self.questions if row.item is not None]
        return sorted(
            answered, key=lambda row: (not row.flags, row.item.correct if row.item else 0.0)
        )


class LocalDays:
    """The local day a quarter-hour bucket falls on, in one timezone (cached: a report
    asks about the same few thousand quarters many times)."""

    def __init__(self, timezone: str) -> None:
        self._zone = ZoneInfo(timezone)
        self._days: dict[int, date] = {}

    def of(self, quarter: int) -> date:
        day = self._days.get(quarter)
        if day is None:
            instant = datetime.fromtimestamp(quarter * QUARTER_HOUR, self._zone)
            day = self._days[quarter] = instant.date()
        return day


class ClassReports:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx

    async def report(
        self, guild_id: int, period: str = "week", lesson_id: str | None = None
    ) -> ClassReport:
        if period not in PERIODS:
            raise ValueError(f"unknown period {period!r}: use week, month or all-time")
        course = self._ctx.course_for(guild_id)
        lesson = course.lesson(lesson_id) if lesson_id else None
        if lesson_id and lesson is None:
            raise ValueError(f"no lesson {lesson_id!r} in the course")
        lessons = (lesson,) if lesson else course.lessons
        now = self._ctx.now()
        db = self._ctx.db
        timezone = await guild_settings.timezone(db, guild_id, self._ctx.default_timezone)
        today = local_day(now, timezone)
        days = PERIOD_DAYS.get(period)
        first_day = today - timedelta(days=days - 1) if days else None
        since = local_midnight(first_day, timezone).timestamp() if first_day else 0.0
        question_ids = [q.id for q in lesson.questions] if lesson else None
        attempts = await quiz_answers.first_attempts(db, guild_id, since, question_ids)
        # Sorting out the first attempts (over a hundred thousand in a big class) is CPU
        # work: it runs in a thread, never stalling the loop, while the other reads run.
        (in_scope, lesson_rows, question_rows), (learners, activity, solved) = await asyncio.gather(
            asyncio.to_thread(_by_question, course, lessons, attempts),
            self._activity(guild_id, since, lessons, lesson),
        )
        students = await asyncio.to_thread(
            _students, learners, activity, LocalDays(timezone), in_scope, solved, today
        )
        return ClassReport(
            guild_id=guild_id,
            period=period,
            first_day=first_day,
            today=today,
            timezone=timezone,
            lesson=lesson,
            students=students,
            lessons=lesson_rows,
            questions=question_rows,
        )

    async def _activity(
        self, guild_id: int, since: float, lessons: Sequence[Lesson], lesson: Lesson | None
    ) -> tuple[list[LearnerRow], Activity, dict[int, int]]:
        """The learners, their activity and the exercises they solved: reads outside any
        transaction (``since`` is a local midnight, so a quarter-hour boundary)."""
        db = self._ctx.db
        learners = await class_activity.learners_of(db, guild_id)
        quarters = await class_activity.activity(db, guild_id, since)
        if lesson is None:
            reviews = None
        else:
            card_ids = [card.id for card in lesson.flashcards]
            reviews = await class_activity.reviews_of(db, guild_id, since, card_ids)
        exercise_ids = [e.id for row in lessons for e in row.exercises]
        solved = await class_activity.exercises_solved(db, guild_id, since, exercise_ids)
        return learners, Activity(quarters, reviews), solved


@dataclass(frozen=True)
class Activity:
    """The learners' busy quarter hours, and per learner the reviews of the lesson's
    cards (None without a lesson: the quarters' reviews, of any card, count)."""

    quarters: list[QuarterActivity]
    lesson_reviews: dict[int, int] | None

    def cards_reviewed(self) -> dict[int, int]:
        """Per learner, the reviews that count: of the lesson's cards, or of any card."""
        if self.lesson_reviews is not None:
            return self.lesson_reviews
        reviews: dict[int, int] = defaultdict(int)
        for row in self.quarters:
            reviews[row.user_id] += row.reviews
        return reviews


def _by_question(
    course: Course, lessons: Sequence[Lesson], attempts: Iterable[FirstAttempt]
) -> tuple[list[FirstAttempt], tuple[LessonRow, ...], tuple[QuestionRow, ...]]:
    """The first attempts at the scope's questions, and the lessons' and questions' rows."""
    questions = {q.id: q for row in lessons for q in row.questions}
    in_scope = [a for a in attempts if a.question_id in questions]
    items = {item.question.id: item for item in analyse(course, in_scope)}
    rows = tuple(QuestionRow(q, items.get(q.id)) for q in questions.values())
    return in_scope, _lessons(lessons, in_scope, questions), rows


def _students(
    learners: Iterable[LearnerRow],
    activity: Activity,
    local_days: LocalDays,
    attempts: Iterable[FirstAttempt],
    solved: dict[int, int],
    today: date,
) -> tuple[StudentRow, ...]:
    cards = activity.cards_reviewed()
    days: dict[int, set[date]] = defaultdict(set)
    for row in activity.quarters:
        days[row.user_id].add(local_days.of(row.quarter))
    answered: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # right, answered
    for attempt in attempts:
        answered[attempt.user_id][0] += attempt.correct
        answered[attempt.user_id][1] += 1
    rows = []
    for learner in learners:
        streak = Streak(
            learner.streak_current,
            learner.streak_best,
            learner.streak_freezes,
            learner.last_active_day,
        )
        right, total = answered.get(learner.user_id, (0, 0))
        rows.append(
            StudentRow(
                user_id=learner.user_id,
                name=learner.display_name or str(learner.user_id),
                active_days=len(days.get(learner.user_id, ())),
                streak=displayed_streak(streak, today),
                cards_reviewed=cards.get(learner.user_id, 0),
                first_attempts=total,
                first_correct=right,
                exercises_solved=solved.get(learner.user_id, 0),
                last_active=learner.last_active_day,
            )
        )
    return tuple(sorted(rows, key=lambda s: (s.name.lower(), s.user_id)))


def _lessons(
    lessons: Iterable[Lesson], attempts: Iterable[FirstAttempt], questions: dict[str, Question]
) -> tuple[LessonRow, ...]:
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    students: dict[str, set[int]] = defaultdict(set)
    for attempt in attempts:
        lesson_id = questions[attempt.question_id].lesson
        right[lesson_id] += attempt.correct
        total[lesson_id] += 1
        students[lesson_id].add(attempt.user_id)
    return tuple(
        LessonRow(lesson, total[lesson.id], right[lesson.id], len(students[lesson.id]))
        for lesson in lessons
    )
