"""What every learning service shares: the database, the course, the injected clock.

``activity()`` is the one way a service records something a learner did: one
transaction that makes sure the learner exists and knows "now" and the guild's timezone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.clock import Clock
from bot.core.scoring import guild_timezone
from bot.curriculum.models import Course
from bot.curriculum.uploads import Bundle, with_teacher_content
from bot.storage import Database, learners
from bot.storage.connection import Connection
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
    """The live course; a teacher's reload swaps it atomically for every service. A server
    with content of its own sees the course with it (``for_guild``)."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self._teacher: dict[int, Bundle] = {}
        self._merged: dict[int, Course] = {}

    def swap(self, course: Course) -> None:
        self.course = course
        self._merged = {
            guild: with_teacher_content(course, bundle) for guild, bundle in self._teacher.items()
        }

    def teach(self, guild_id: int, bundle: Bundle) -> None:
        """Set a server's own content (an empty bundle: none)."""
        if bundle.items:
            self._teacher[guild_id] = bundle
            self._merged[guild_id] = with_teacher_content(self.course, bundle)
        else:
            self._teacher.pop(guild_id, None)
            self._merged.pop(guild_id, None)

    def teacher_items(self, guild_id: int) -> int:
        bundle = self._teacher.get(guild_id)
        return 0 if bundle is None else bundle.items

    def for_guild(self, guild_id: int) -> Course:
        return self._merged.get(guild_id, self.course)


@dataclass(frozen=True)
class Activity:
    conn: Connection
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
        """The built-in course (no server's own content)."""
        return self.courses.course

    def course_for(self, guild_id: int) -> Course:
        """The course as this server's learners see it, its own content included."""
        return self.courses.for_guild(guild_id)

    def now(self) -> datetime:
        """The injected clock's time, normalised to UTC (fsrs insists on it)."""
        return self.clock().astimezone(UTC)

    @asynccontextmanager
    async def activity(self, who: Learner) -> AsyncIterator[Activity]:
        """A transaction scoped to the learner's guild (``Database.transaction``): what a
        learner does touches their guild's rows only, so on PostgreSQL it never waits
        for another guild's."""
        now = self.now()
        async with self.db.transaction(who.guild_id) as conn:
            row = await learners.ensure(conn, who.guild_id, who.user_id, who.name, now.timestamp())
            timezone = await guild_timezone(conn, who.guild_id, self.default_timezone)
            yield Activity(conn, row, now, timezone)
