"""A teacher's course reload, followed by every bot process of the database.

Each process holds the course in memory, read from its own content folder. A reload
swaps it in the process that answered and adds one to a generation number kept in the
database (``bot_meta``); every bot process checks that number every few seconds
(``follow``) and, when another process has reloaded since it last loaded, reloads from
its own folder too. The process that reloaded records the generation it wrote, so its
own check does not reload again. A follow-up reload that fails (a broken or unreadable
folder) keeps the current course and logs one line per generation, not one per check.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.core.clock import Sleep
from bot.core.context import CoreContext
from bot.curriculum import ContentError, load_course
from bot.curriculum.models import Course
from bot.storage import DatabaseError, meta

log = logging.getLogger(__name__)

GENERATION_KEY = "course_generation"
DEFAULT_CHECK_EVERY_S = 30.0


class CourseReloads:
    def __init__(self, ctx: CoreContext, content_dir: Path | None, generation: int) -> None:
        self._ctx = ctx
        self._content_dir = content_dir
        self._generation = generation  # the last one this process loaded (or tried)
        self._lock = asyncio.Lock()  # a teacher's reload and a check never interleave

    @classmethod
    async def open(cls, ctx: CoreContext, content_dir: Path | None) -> CourseReloads:
        """Starting from the database's current generation: the course this process
        has just read from disk is at least as new as it."""
        return cls(ctx, content_dir, await cls._stored_generation(ctx))

    async def reload(self) -> Course:
        """Read the course from disk, tell the other processes, swap it in here.
        ``ContentError`` and ``DatabaseError`` leave the current course in place."""
        async with self._lock:
            course = await self._load()
            async with self._ctx.db.transaction() as conn:
                # Write transactions run one at a time on both engines: no bump is lost.
                generation = _generation(await meta.get(conn, GENERATION_KEY)) + 1
                await meta.put(conn, GENERATION_KEY, str(generation))
            self._ctx.courses.swap(course)
            self._generation = generation
            return course

    async def catch_up(self) -> bool:
        """Reload if another process reloaded since this one last did; whether it did."""
        async with self._lock:
            generation = await self._stored_generation(self._ctx)
            if generation == self._generation:
                return False
            self._generation = generation  # a broken folder is reported once, not per check
            try:
                course = await self._load()
            except ContentError as exc:
                # The loader reports an unreadable file or folder as a problem too.
                log.error(
                    "another bot process reloaded the course, but the course in %s has "
                    "%d problem(s) (first: %s); keeping the current course",
                    self._content_dir, len(exc.problems), exc.problems[0],
                )  # fmt: skip
                return False
            self._ctx.courses.swap(course)
            log.info("course reloaded: another bot process reloaded it (generation %d)", generation)
            return True

    async def follow(self, every_s: float, sleep: Sleep) -> None:
        """Check every ``every_s`` seconds until cancelled; a failed check (the database
        unreachable) is logged and tried again at the next tick."""
        while True:
            await sleep(every_s)
            try:
                await self.catch_up()
            except DatabaseError as exc:
                log.warning(
                    "could not check for a course reload (trying again in %g s): %s", every_s, exc
                )
            except Exception:  # a bug must not end the following silently for good
                log.exception("course reload check failed (trying again in %g s)", every_s)

    async def _load(self) -> Course:
        if self._content_dir is None:
            raise RuntimeError("this tutor was opened without a content folder")
        return await asyncio.to_thread(load_course, self._content_dir)

    @staticmethod
    async def _stored_generation(ctx: CoreContext) -> int:
        async with ctx.db.transaction() as conn:
            return _generation(await meta.get(conn, GENERATION_KEY))


def _generation(stored: str | None) -> int:
    return 0 if stored is None else int(stored)
