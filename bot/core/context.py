"""What every learning service shares: the database, the course, the injected clock.

``activity()`` is the one way a service records something a learner did: one
transaction that makes sure the learner exists and knows "now" and the guild's timezone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from bot.core.clock import Clock
from bot.core.scoring import guild_timezone
from bot.curriculum.models import Course
from bot.storage import Database, learners
from bot.storage.learners import LearnerRow

CONSOLE_GUILD = 0  # the console's own guild (Discord DMs outside a server use it too)


class AlreadyCounted(Exception):
    """A second click on a button whose action is already saved (Discord delivers both
    clicks of a double click): nothing new is written; the message says so."""


@dataclass(frozen=True)
class Learner:
    """A student in one guild (the console uses ``CONSOLE_GUILD``)."""

    guild_id: int
    user_id: int
    name: str = ""


class CourseHolder:
    """The live course; a teacher's reload swaps it atomically for every service."""

    def __init__(self, course: Course) -> None:
        self.course = course

    def swap(self, course: Course) -> None:
        self.course = course


@dataclass(frozen=True)
class Activity:
    conn: aiosqlite.Connection
    learner: LearnerRow
    now: datetime
    timezone: str


@dataclass
class CoreContext:
    db: Database
    courses: CourseHolder
    clock: Clock
    default_timezone: str = "UTC"

    @property
    def course(self) -> Course:
        return self.courses.course

    def now(self) -> datetime:
        """The injected clock's time, normalised to UTC (fsrs insists on it)."""
        return self.clock().astimezone(UTC)

    @asynccontextmanager
    async def activity(self, who: Learner) -> AsyncIterator[Activity]:
        now = self.now()
        async with self.db.transaction() as conn:
            row = await learners.ensure(conn, who.guild_id, who.user_id, who.name, now.timestamp())
            timezone = await guild_timezone(conn, who.guild_id, self.default_timezone)
            yield Activity(conn, row, now, timezone)
