"""Building the real bot around a fresh learning core, connected to the fake Discord."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fsrs import Scheduler

from bot.config import Settings
from bot.core.tutor import Tutor
from bot.curriculum.models import Course
from bot.discord.client import TutorBot
from tests.factories import FakeClock
from tests.fake_discord import FakeDiscord, FakeMessage


async def make_bot(
    db_path: Path,
    course: Course,
    clock: FakeClock,
    content_dir: Path,
    sandbox: object = None,
    dev_guild_id: int | None = None,
) -> TutorBot:
    """The rate limit is off: tests click faster than people (tests/test_discord_rate_limit.py
    turns it on)."""
    tutor = await Tutor.open(
        db_path,
        course,
        clock,
        rng=random.Random(3),
        scheduler=Scheduler(enable_fuzzing=False),
        sandbox=sandbox,  # type: ignore[arg-type]
        content_dir=content_dir,
    )
    settings = Settings(
        discord_token="made-up",
        db_path=db_path,
        content_dir=content_dir,
        dev_guild_id=dev_guild_id,
        rate_per_s=0,
    )
    return TutorBot(settings, tutor)


@asynccontextmanager
async def connected_bot(
    fake: FakeDiscord,
    db_path: Path,
    course: Course,
    clock: FakeClock,
    content_dir: Path,
    prepare: Callable[[TutorBot], None] | None = None,
    **options: Any,
) -> AsyncIterator[TutorBot]:
    """The real bot, connected to the stand-in; stopped and its core closed afterwards.
    ``prepare`` adjusts the bot before it connects (e.g. a manual timer)."""
    bot = await make_bot(db_path, course, clock, content_dir, **options)
    if prepare is not None:
        prepare(bot)
    await fake.start_client(bot)
    try:
        yield bot
    finally:
        await fake.stop_client(bot)
        await bot.tutor.close()


def button_ids(message: FakeMessage, prefix: str) -> list[str]:
    return [cid for cid in message.custom_ids if cid.startswith(prefix)]


def labels(message: FakeMessage) -> list[str]:
    return [
        component["label"]
        for row in message.components
        for component in row.get("components", [])
        if "label" in component
    ]


def custom_id_of(message: FakeMessage, label: str) -> str:
    for row in message.components:
        for component in row.get("components", []):
            if component.get("label") == label:
                return component["custom_id"]
    raise LookupError(f"no button {label!r} in {labels(message)}")
