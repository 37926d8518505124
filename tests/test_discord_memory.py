"""Flat memory: nothing per interaction outlives its reply (bench/soak_bench.py measures
the process's memory over 100,000 interactions; this counts the objects)."""

from __future__ import annotations

import asyncio
import gc

import discord

from tests.conftest import CONTENT
from tests.discord_helpers import button_ids, connected_bot, custom_id_of
from tests.fake_discord import FakeDiscord, FakeMember
from tests.fake_discord.fixtures import fake_discord

__all__ = ["fake_discord"]

ROUNDS = 200  # of five interactions each


def live() -> tuple[int, int]:
    """discord.ui.View and asyncio.Task objects still alive (done tasks included)."""
    gc.collect()
    objects = gc.get_objects()
    views = sum(isinstance(o, discord.ui.View) for o in objects)
    tasks = sum(isinstance(o, asyncio.Task) for o in objects)
    return views, tasks


async def one_round(fake: FakeDiscord, user: FakeMember) -> int:
    """A quiz question answered, a flashcard shown and rated, the leaderboard: 5 replies,
    ephemeral ones (which discord.py would keep 15 minutes) included."""
    asked = await fake.slash("quiz", user=user)
    question = (await asked.response()).message
    answer = await fake.click(question, button_ids(question, "t:quiz-answer")[0], user=user)
    await answer.response()
    review = await fake.slash("flashcards review", user=user)
    card = await review.original(lambda m: not m.loading)
    await (await fake.click(card, custom_id_of(card, "Show answer"), user=user)).response()
    board = await fake.slash("leaderboard", user=user)
    await board.response()
    return 5


async def test_views_and_tasks_are_back_at_their_level_after_1000_interactions(
    fake_discord, tmp_path, course, clock
) -> None:
    student = fake_discord.guild.student
    async with connected_bot(fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT) as bot:
        await bot.wait_until_ready()
        await one_round(fake_discord, student)  # connections and caches warmed up
        views, tasks = live()
        interactions = sum([await one_round(fake_discord, student) for _ in range(ROUNDS)])
        assert interactions == 1000
        views_after, tasks_after = live()
        assert views_after <= views, f"{views_after - views} views kept"
        assert tasks_after <= tasks, f"{tasks_after - tasks} tasks kept"
