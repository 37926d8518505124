"""The learning core assembled: the one object every frontend (Discord, console) talks to.

Everything a frontend can do is a method of one of its services; frontends translate
input, call these, and render what comes back. ``Tutor.open`` builds it from parts (tests
use this); ``Tutor.from_settings`` from the configuration, with the sandbox client.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fsrs import Scheduler

from bot.config import Settings
from bot.core.class_exercises import ClassExercises
from bot.core.class_quizzes import ClassQuizzes
from bot.core.class_report import ClassReports
from bot.core.clock import Clock, Sleep
from bot.core.code_runs import CodeRuns, Sandbox
from bot.core.context import CoreContext, CourseHolder
from bot.core.course_reloads import DEFAULT_CHECK_EVERY_S, CourseReloads
from bot.core.daily import DailyPrompts, GuildScope, Sender
from bot.core.exercises import Exercises
from bot.core.flashcards import Flashcards
from bot.core.guilds import Guilds
from bot.core.item_analysis import ItemAnalysis
from bot.core.lease import Lease
from bot.core.meta import Remembered
from bot.core.progress import Progress
from bot.core.quiz import Quiz
from bot.core.shards import ShardRange
from bot.core.tasks import TaskKeeper
from bot.core.teacher_content import TeacherContent
from bot.curriculum import ContentError, load_course
from bot.curriculum.models import Course
from bot.sandbox.workers import SandboxWorkers
from bot.storage import Database, StorageError
from bot.storage.target import DatabaseTarget


class StartupError(Exception):
    """The core cannot start; the message says why in one line."""


@dataclass(frozen=True)
class Reloaded:
    lessons: int
    flashcards: int
    questions: int
    others_within_s: float  # the other bot processes of the database follow within this


@dataclass
class Tutor:
    ctx: CoreContext
    flashcards: Flashcards
    quiz: Quiz
    progress: Progress
    guilds: Guilds
    class_quizzes: ClassQuizzes
    daily: DailyPrompts
    code: CodeRuns
    remembered: Remembered
    items: ItemAnalysis
    exercises: Exercises
    class_exercises: ClassExercises
    content: TeacherContent
    class_report: ClassReports
    reloads: CourseReloads
    reload_check_s: float = DEFAULT_CHECK_EVERY_S
    tasks: TaskKeeper = field(default_factory=TaskKeeper)
    sleep: Sleep = asyncio.sleep
    lease: Lease | None = None

    @classmethod
    async def open(
        cls,
        database: DatabaseTarget,
        course: Course,
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        rng: random.Random | None = None,
        scheduler: Scheduler | None = None,
        sandbox: Sandbox | None = None,
        content_dir: Path | None = None,
        sleep: Sleep = asyncio.sleep,
        reload_check_s: float = DEFAULT_CHECK_EVERY_S,
    ) -> Tutor:
        db = await Database.open(database)
        ctx = CoreContext(db, CourseHolder(course), clock, default_timezone)
        rng = rng or random.Random()
        tasks = TaskKeeper()
        quiz = Quiz(ctx, rng)
        flashcards = Flashcards(ctx, scheduler)
        code = CodeRuns(sandbox, lambda: ctx.course)
        exercises = Exercises(ctx, code)
        content = TeacherContent(ctx, code)
        await content.load()
        return cls(
            ctx=ctx,
            flashcards=flashcards,
            quiz=quiz,
            progress=Progress(ctx),
            guilds=Guilds(ctx),
            class_quizzes=ClassQuizzes(ctx, quiz.pool, tasks, rng, sleep),
            daily=DailyPrompts(ctx, flashcards, sleep=sleep),
            code=code,
            remembered=Remembered(db),
            items=ItemAnalysis(ctx),
            exercises=exercises,
            class_exercises=ClassExercises(ctx, exercises.exercise, tasks, sleep),
            content=content,
            class_report=ClassReports(ctx),
            reloads=await CourseReloads.open(ctx, content_dir),
            reload_check_s=reload_check_s,
            tasks=tasks,
            sleep=sleep,
        )

    @classmethod
    @asynccontextmanager
    async def from_settings(cls, settings: Settings, clock: Clock) -> AsyncIterator[Tutor]:
        """The configured core, open for the block: course, database, sandbox client.
        The sandbox worker may be down: only running code fails then, never start-up."""
        folder = settings.content_dir
        if not folder.is_dir():
            raise StartupError(
                f"no course folder at {folder.resolve()}: start from the project's folder "
                "or set TUTOR_CONTENT"
            )
        try:
            course = await asyncio.to_thread(load_course, folder)
        except ContentError as exc:
            raise StartupError(
                f"the course in {folder} has {len(exc.problems)} problem(s); "
                f"`python -m bot content check` lists them. First: {exc.problems[0]}"
            ) from exc
        async with AsyncExitStack() as stack:
            sandbox = await stack.enter_async_context(SandboxWorkers(settings.sandbox_urls))
            try:
                tutor = await cls.open(
                    settings.db_path,
                    course,
                    clock,
                    default_timezone=settings.default_timezone,
                    sandbox=sandbox,
                    content_dir=folder,
                    reload_check_s=settings.reload_check_s,
                )
            except StorageError as exc:
                raise StartupError(str(exc)) from exc
            stack.push_async_callback(tutor.close)
            yield tutor

    @property
    def course(self) -> Course:
        """The built-in course."""
        return self.ctx.course

    def course_for(self, guild_id: int) -> Course:
        """The course as this server's learners see it, its teacher's content included."""
        return self.ctx.course_for(guild_id)

    async def take_lease(self, shards: ShardRange) -> Lease:
        """Serve ``shards`` of this database alone (the Discord bot does; the console and
        backups do not); ``LeaseHeld`` names the live process that already does. The lease
        is renewed until ``close``; its ``lost`` event fires if it was taken over."""
        lease = Lease(self.ctx, shards, self.sleep)
        await lease.acquire()
        self.lease = lease
        self.tasks.spawn(lease.keep(), name="lease")
        return lease

    def deliver_daily_prompts(self, sender: Sender, scope: GuildScope) -> None:
        """Start the frontend's delivery task (kept and stopped by the core)."""
        self.tasks.spawn(self.daily.run(sender, scope), name="daily-prompts")

    def follow_reloads(self) -> None:
        """Start checking, every ``reload_check_s``, whether another bot process of this
        database reloaded the course, and reload from this one's disk then (the Discord
        bot does; kept and stopped by the core)."""
        self.tasks.spawn(self.reloads.follow(self.reload_check_s, self.sleep), name="course-follow")

    async def reload_course(self) -> Reloaded:
        """Swap in the course from disk for every service at once, and have the other bot
        processes of the database follow; ``ContentError`` (or a ``DatabaseError`` while
        telling them) leaves the current course in place."""
        course = await self.reloads.reload()
        return Reloaded(
            len(course.lessons), len(course.flashcards), len(course.questions), self.reload_check_s
        )

    async def prove_writable(self) -> None:
        """One committed write; raises ``DatabaseError`` if the database refuses it (the
        health heartbeat only beats while this succeeds)."""
        await self.ctx.db.write_probe()

    async def stop(self) -> None:
        """Finish background work: class quizzes save and show their results, then the
        daily delivery and any other task are cancelled and awaited, and the daily sends
        that already hold a claim are given a few seconds to end."""
        await self.class_quizzes.stop_all()
        await self.tasks.close()
        await self.daily.finish_claimed()

    async def close(self) -> None:
        await self.stop()
        if self.lease is not None:
            await self.lease.release()
        await self.ctx.db.close()
