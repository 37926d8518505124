"""Points, streaks and leaderboards.

Point rules (also shown to students by ``/progress``):

- reviewing a flashcard: ``REVIEW_POINTS`` (any rating: honesty is never punished);
- a correct quiz answer: ``QUIZ_POINTS`` by difficulty (10 / 15 / 20) the first time a
  question is answered correctly, ``REPEAT_POINTS`` for later correct answers to it;
  a wrong answer: 0;
- class quizzes award points by their own speed rule (see ``classquiz``);
- the first activity of a day extends the streak and gives ``min(streak, 10)`` bonus.

Streaks count calendar days in the guild's timezone. A day counts when the learner
reviews a card or answers a question. Missing a day resets the streak to 1 at the next
activity, unless a freeze covers it: one freeze is earned per 7 consecutive days (at
most ``MAX_FREEZES`` held) and each covers one missed day, spent automatically.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.curriculum.models import Difficulty
from bot.storage import guild_settings, learners
from bot.storage.connection import Connection
from bot.storage.learners import LearnerRow, RankRow

REVIEW_POINTS = 2
QUIZ_POINTS = {Difficulty.easy: 10, Difficulty.medium: 15, Difficulty.hard: 20}
REPEAT_POINTS = 2
STREAK_BONUS_CAP = 10
FREEZE_EVERY_DAYS = 7
MAX_FREEZES = 2
LEADERBOARD_SIZE = 10


@dataclass(frozen=True)
class Streak:
    current: int = 0
    best: int = 0
    freezes: int = 0
    last_day: date | None = None


@dataclass(frozen=True)
class StreakUpdate:
    streak: Streak
    extended: bool  # this activity was the first of a new day
    freezes_spent: int


def record_activity(streak: Streak, today: date) -> StreakUpdate:
    """The streak after an activity on ``today`` (a local calendar day)."""
    last = streak.last_day
    if last is not None and today <= last:
        # Same day, or the clock/timezone moved backwards: nothing new to count.
        return StreakUpdate(streak, extended=False, freezes_spent=0)
    missed = 0 if last is None else (today - last).days - 1
    spent = 0
    if last is None:
        current = 1
    elif missed == 0:
        current = streak.current + 1
    elif missed <= streak.freezes:
        spent = missed
        current = streak.current + 1
    else:
        current = 1
    freezes = streak.freezes - spent
    if current % FREEZE_EVERY_DAYS == 0:
        freezes = min(MAX_FREEZES, freezes + 1)
    updated = Streak(current, max(streak.best, current), freezes, today)
    return StreakUpdate(updated, extended=True, freezes_spent=spent)


def displayed_streak(streak: Streak, today: date) -> int:
    """The streak as it stands today: already broken if too many days were missed."""
    if streak.last_day is None:
        return 0
    missed = (today - streak.last_day).days - 1
    return streak.current if missed <= streak.freezes else 0


def local_day(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant a local day starts (DST-safe: zoneinfo resolves the offset)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(timezone))


def week_key(day: date) -> str:
    """ISO week of a local day (weeks start on Monday), e.g. ``2026-W48``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def streak_bonus(update: StreakUpdate) -> int:
    return min(update.streak.current, STREAK_BONUS_CAP) if update.extended else 0


async def guild_timezone(conn: Connection, guild_id: int, default: str) -> str:
    return (await guild_settings.get(conn, guild_id, default)).timezone


@dataclass(frozen=True)
class Award:
    """What one activity earned: its own points plus any streak bonus."""

    points: int
    bonus: int
    streak: Streak

    @property
    def total(self) -> int:
        return self.points + self.bonus


async def award_activity(
    conn: Connection,
    learner: LearnerRow,
    points: int,
    now: datetime,
    timezone: str,
) -> Award:
    """Within the caller's transaction: count the day for the streak and add points."""
    today = local_day(now, timezone)
    before = Streak(
        learner.streak_current, learner.streak_best, learner.streak_freezes, learner.last_active_day
    )
    update = record_activity(before, today)
    if update.streak != before:
        await learners.save_streak(
            conn,
            replace(
                learner,
                streak_current=update.streak.current,
                streak_best=update.streak.best,
                streak_freezes=update.streak.freezes,
                last_active_day=update.streak.last_day,
            ),
        )
    bonus = streak_bonus(update)
    await learners.add_points(
        conn, learner.guild_id, learner.user_id, points + bonus, week_key(today), now.timestamp()
    )
    return Award(points, bonus, update.streak)


@dataclass(frozen=True)
class Leaderboard:
    period: str  # "week" or "all-time"
    top: list[RankRow]
    me: RankRow | None

    @property
    def me_outside_top(self) -> bool:
        return self.me is not None and all(row.user_id != self.me.user_id for row in self.top)


async def leaderboard(
    conn: Connection,
    guild_id: int,
    user_id: int,
    period: str,
    now: datetime,
    timezone: str,
) -> Leaderboard:
    if period not in ("week", "all-time"):
        raise ValueError(f"unknown period {period!r}: use 'week' or 'all-time'")
    week = week_key(local_day(now, timezone)) if period == "week" else None
    top = await learners.leaderboard(conn, guild_id, week, LEADERBOARD_SIZE)
    me = await learners.rank_of(conn, guild_id, user_id, week)
    return Leaderboard(period, top, me)
