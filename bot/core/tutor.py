"""The learning core assembled: what every frontend (Discord, console) talks to."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from fsrs import Scheduler

from bot.core.clock import Clock
from bot.core.context import CoreContext, CourseHolder
from bot.core.flashcards import Flashcards
from bot.core.guilds import Guilds
from bot.core.progress import Progress
from bot.core.quiz import Quiz
from bot.curriculum.models import Course
from bot.storage import Database


@dataclass
class Tutor:
    ctx: CoreContext
    flashcards: Flashcards
    quiz: Quiz
    progress: Progress
    guilds: Guilds

    @classmethod
    async def open(
        cls,
        db_path: Path,
        course: Course,
        clock: Clock,
        default_timezone: str = "UTC",
        rng: random.Random | None = None,
        scheduler: Scheduler | None = None,
    ) -> Tutor:
        db = await Database.open(db_path)
        ctx = CoreContext(db, CourseHolder(course), clock, default_timezone)
        return cls(ctx, Flashcards(ctx, scheduler), Quiz(ctx, rng), Progress(ctx), Guilds(ctx))

    @property
    def course(self) -> Course:
        return self.ctx.course

    async def close(self) -> None:
        await self.ctx.db.close()
