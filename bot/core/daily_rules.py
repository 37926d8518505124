"""Who gets which daily prompt when: pure schedule rules, every time passed in.

A schedule fires once per local day at a wall-clock time in its own timezone. Two DST
cases are decided here, deliberately (both are PEP 495's ``fold=0``):

- a time that does not exist that day (spring forward: 02:30 in Paris on the last
  Sunday of March) fires when the clock would have read it had it not jumped, i.e.
  as much later as the gap: 03:30 local;
- a time that happens twice (fall back: 02:30 in Paris on the last Sunday of October)
  fires at its first occurrence only.

Every fire belongs to the local day it was computed for, and that day is the key under
which its delivery is recorded: whatever the clocks do, a day has one prompt.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.core.guilds import InvalidSetting
from bot.core.scoring import MAX_FREEZES, Streak, displayed_streak, local_day
from bot.storage.learners import LearnerRow

GRACE = timedelta(hours=2)  # after an outage, a prompt this late is still worth sending
SNOOZE = timedelta(hours=1)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NEVER = "never"
T = TypeVar("T")


def parse_local_time(text: str) -> time:
    """``HH:MM`` on a 24-hour clock, as people type it (``8:05`` is fine)."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise InvalidSetting(f"{text!r} is not a time like 08:30 (24-hour clock)")
    return time(int(match[1]), int(match[2]))


def parse_weekday(name: str) -> int | None:
    """0 for Monday ... 6 for Sunday; None for ``never``."""
    name = name.strip().lower()
    if name == NEVER:
        return None
    if name not in WEEKDAYS:
        raise InvalidSetting(f"{name!r} is not a day of the week (or {NEVER!r})")
    return WEEKDAYS.index(name)


def fire_at(day: date, at: time, timezone: str) -> datetime:
    """The instant (UTC) of ``at`` on local ``day``; the DST choices are the module's."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@dataclass(frozen=True)
class Fire:
    key: str  # which schedule
    day: date  # the local day it belongs to: a delivery is recorded under (key, day)
    at: datetime  # UTC


@dataclass(frozen=True)
class Daily:
    """Every day (or every ``weekday``) at ``at`` in ``timezone``.

    ``since`` is when the schedule was switched on: earlier fires are not owed, so
    turning a prompt on at 10:00 for 09:00 does not send one straight away.
    """

    key: str
    at: time
    timezone: str
    since: datetime
    weekday: int | None = None  # 0 = Monday; None = every day

    def _fires(self, now: datetime) -> list[Fire]:
        today = local_day(now, self.timezone)
        span = 1 if self.weekday is None else 7
        days = [today + timedelta(days=offset) for offset in range(-span, span + 1)]
        return [
            Fire(self.key, day, fire_at(day, self.at, self.timezone))
            for day in days
            if self.weekday in (None, day.weekday())
        ]

    def latest(self, now: datetime) -> Fire | None:
        """The most recent owed fire at or before ``now``."""
        owed = [fire for fire in self._fires(now) if self.since <= fire.at <= now]
        return owed[-1] if owed else None

    def next(self, now: datetime) -> Fire | None:
        return next((fire for fire in self._fires(now) if fire.at > now), None)


@dataclass(frozen=True)
class Once:
    """A single fire, e.g. a snoozed prompt (it keeps the day of the prompt it repeats)."""

    fire: Fire

    @property
    def key(self) -> str:
        return self.fire.key

    def latest(self, now: datetime) -> Fire | None:
        return self.fire if self.fire.at <= now else None

    def next(self, now: datetime) -> Fire | None:
        return self.fire if self.fire.at > now else None


Schedule = Daily | Once


@dataclass(frozen=True)
class Plan:
    send: list[Fire]
    skip: list[Fire]  # missed by more than the grace window: recorded, never sent
    wake_at: datetime | None  # the earliest future fire


def plan(
    schedules: Iterable[Schedule],
    recorded: Set[tuple[str, date]],
    now: datetime,
    grace: timedelta = GRACE,
) -> Plan:
    """What is due at ``now``.

    Only the latest owed fire of each schedule is considered (days missed before it are
    past helping); if no delivery is recorded for it, it is sent while ``now`` is within
    ``grace`` of its time and skipped after.
    """
    send: list[Fire] = []
    skip: list[Fire] = []
    upcoming: list[datetime] = []
    for schedule in schedules:
        last = schedule.latest(now)
        if last is not None and (last.key, last.day) not in recorded:
            (send if now - last.at <= grace else skip).append(last)
        if (following := schedule.next(now)) is not None:
            upcoming.append(following.at)
    return Plan(send, skip, min(upcoming, default=None))


def card_of_the_day(cards: Sequence[T], guild_id: int, day: date) -> T | None:
    """The same card all day in a guild, another tomorrow (crc32: stable across restarts)."""
    if not cards:
        return None
    return cards[zlib.crc32(f"{guild_id}:{day.isoformat()}".encode()) % len(cards)]


def streak_horizon(today: date) -> date:
    """Learners last active before this day cannot still be on a streak."""
    return today - timedelta(days=MAX_FREEZES + 1)


def top_streaks(learners: Iterable[LearnerRow], today: date, limit: int) -> list[tuple[int, int]]:
    """(user id, days) of the longest streaks as they stand today, longest first."""
    standing = [(row.user_id, displayed_streak(_streak(row), today)) for row in learners]
    ranked = sorted((s for s in standing if s[1] > 0), key=lambda s: (-s[1], s[0]))
    return ranked[:limit]


def _streak(row: LearnerRow) -> Streak:
    return Streak(row.streak_current, row.streak_best, row.streak_freezes, row.last_active_day)


def leaderboard_moment(fire: Fire) -> datetime:
    """The weekly post shows the week of the day before it: on Mondays, last week's final."""
    return fire.at - timedelta(days=1)
