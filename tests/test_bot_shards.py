"""Several bot processes: `python -m bot run` on shards 0/2 and on 1/2 of one database
(SQLite, and PostgreSQL), against the stand-in with guilds on both shards. Each guild is
served by the process of its shard alone: every interaction is answered once, by that
process; each guild's daily prompt goes out once, from that process; a process starting
never touches the other's running class quiz; a third process whose shards overlap is
refused in one line; a teacher's course reload in one process reaches the other."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from bot.core.tutor import Tutor
from bot.curriculum.models import Course
from bot.storage.target import DatabaseTarget, PostgresUrl
from tests.conftest import ROOT, both_engines
from tests.fake_discord import FakeDiscord, FakeGuild, FakeInteraction, FakeMessage
from tests.fake_discord.models import shard_of
from tests.test_bot_process import (
    PATIENCE_S,
    bot_env,
    refused_port,
    start_bot,
    unless_it_exits,
)

pytestmark = both_engines

T = TypeVar("T")
SHARDS = 2


@pytest.fixture
def settings(tmp_path: Path, database_target: DatabaseTarget) -> dict[str, str]:
    """What every process is given beside the stand-in's: one database (a SQLite file
    opened by each, or one PostgreSQL database), the course; each runs in ``tmp_path``,
    where its files (heartbeats) go."""
    database = database_target.url if isinstance(database_target, PostgresUrl) else database_target
    return {
        "TUTOR_DB": str(database),
        "TUTOR_CONTENT": str(ROOT / "content"),
        "PYTHONPATH": str(ROOT),
    }


async def schedule_daily_prompts_due_now(
    database: DatabaseTarget, course: Course, guilds: list[FakeGuild]
) -> None:
    """Every guild's channel prompt, switched on ten minutes ago for five minutes ago: due
    as soon as a process delivers it (seeded through the core, as `/tutor-admin daily`
    would have done then)."""
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=5)).strftime("%H:%M")
    tutor = await Tutor.open(database, course, lambda: now - timedelta(minutes=10))
    try:
        for guild in guilds:
            await tutor.daily.set_channel(guild.id, guild.text_channel.id, due, "UTC", "never")
    finally:
        await tutor.close()


def shard_of_guild(guild: FakeGuild) -> int:
    return shard_of(guild.id, SHARDS)


async def unless_one_exits(bots: list[asyncio.subprocess.Process], waiting: Awaitable[T]) -> T:
    """``await waiting``, failing at once with a bot's output if a bot exits first."""
    for bot in bots:
        waiting = unless_it_exits(bot, waiting)
    return await waiting


def card_of_the_day(message: FakeMessage) -> bool:
    return bool(message.embeds) and message.embeds[0].get("title", "").startswith("Card of the")


def class_quiz_question(message: FakeMessage) -> bool:
    return "Class quiz ·" in str(message.embeds) and not message.ephemeral


async def stop(bot: asyncio.subprocess.Process) -> str:
    bot.send_signal(signal.SIGTERM)
    async with asyncio.timeout(PATIENCE_S):
        output, _ = await bot.communicate()
    assert bot.returncode == 0, output.decode()
    return output.decode()


async def refused_in_one_line(cwd: Path, env: dict[str, str]) -> str:
    """`python -m bot run` that must exit 1 at start: the one line it writes."""
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(PATIENCE_S):
        _, errors = await bot.communicate()
    assert bot.returncode == 1
    [line] = errors.decode().splitlines()
    return line


async def kill_the_rest(processes: list[asyncio.subprocess.Process]) -> None:
    """After a failure: no bot process outlives its test."""
    for bot in processes:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(shards=SHARDS, wait_timeout=PATIENCE_S) as stand_in:
        yield stand_in


async def test_two_processes_on_disjoint_shards_serve_each_guild_once(
    fake: FakeDiscord, tmp_path: Path, database_target: DatabaseTarget, settings, course: Course
) -> None:
    guilds = [
        fake.guild,  # on whichever shard its id falls
        *(fake.add_guild(f"class {n}", shard=n % SHARDS) for n in range(4)),
    ]
    await schedule_daily_prompts_due_now(database_target, course, guilds)
    quiz_guild = guilds[1]  # on shard 0
    asked: list[FakeInteraction] = []

    with refused_port() as no_sandbox:
        first = await start_bot(
            fake, tmp_path / "tutor.sqlite3", no_sandbox, cwd=tmp_path,
            **settings, TUTOR_SHARDS=f"0/{SHARDS}",
        )  # fmt: skip
        processes = [first]
        try:
            # A class quiz runs in the first process before the second one starts.
            start = await fake.slash(
                "class-quiz start", {"questions": 3, "seconds": 120},
                user=quiz_guild.teacher, channel=quiz_guild.text_channel,
            )  # fmt: skip
            asked.append(start)
            question = await fake.wait_for_message(quiz_guild.text_channel, class_quiz_question)

            second = await start_bot(
                fake, tmp_path / "tutor.sqlite3", no_sandbox, cwd=tmp_path,
                **settings, TUTOR_SHARDS=f"1/{SHARDS}",
            )  # fmt: skip
            processes.append(second)
            for guild in guilds:
                for command in ("lessons", "progress", "flashcards stats"):
                    ix = await fake.slash(command, user=guild.student, channel=guild.text_channel)
                    asked.append(ix)
                    shown = await unless_one_exits(processes, ix.original(lambda m: not m.loading))
                    assert shown.content or shown.embeds, (guild.name, command)
                    assert not shown.content.startswith("Sorry"), (command, shown.content)
            # The quiz the second process found at its start is the first one's, running on.
            click = await fake.click(question, question.custom_ids[0], user=quiz_guild.student)
            asked.append(click)
            assert (
                "Locked in" in (await unless_one_exits(processes, click.response())).message.content
            )

            for guild in guilds:
                await unless_one_exits(
                    processes, fake.wait_for_message(guild.text_channel, card_of_the_day)
                )

            line = await refused_in_one_line(
                tmp_path,
                bot_env(
                    fake, tmp_path / "tutor.sqlite3", no_sandbox,
                    **settings, TUTOR_SHARDS=f"0-1/{SHARDS}",
                ),
            )  # fmt: skip
            assert re.match(
                r"cannot start: another bot process \(host .*, pid (\d+)\) serves", line
            )
            assert int(re.findall(r"pid (\d+)", line)[0]) in (first.pid, second.pid)

            logs = [await stop(bot) for bot in processes]
        finally:
            await kill_the_rest(processes)

    # Every interaction answered once, by the process of its guild's shard.
    callbacks = Counter(
        call.path.split("/")[2] for call in fake.calls_to("POST", "/interactions/*/callback")
    )
    assert {str(ix.id): callbacks[str(ix.id)] for ix in asked} == {str(ix.id): 1 for ix in asked}
    assert all(call.status == 200 for call in fake.calls_to("POST", "/interactions/*/callback"))
    for guild in guilds:
        served = [f"interaction guild={guild.id} " in log for log in logs]
        assert served == [shard_of_guild(guild) == shard for shard in range(SHARDS)], guild.name
    # Each guild's daily prompt went out once, from the process of its shard.
    for guild in guilds:
        assert len([m for m in fake.messages(guild.text_channel) if card_of_the_day(m)]) == 1
        sent = [f"daily prompts: channel:{guild.id} for " in log for log in logs]
        assert sent == [shard_of_guild(guild) == shard for shard in range(SHARDS)], guild.name
    # The second process's start-up recovery left the first one's quiz alone; the first
    # ended it at its own shutdown.
    edits = [*question.history, question.to_payload()]
    assert not any("ended early" in str(edit["embeds"]) for edit in edits)
    assert "stopped" in str(fake.messages(quiz_guild.text_channel)[-1].embeds)


async def test_too_few_shards_for_the_bots_servers_is_one_clear_line(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """Discord closes a connection whose shard count is below what the bot's servers
    need (4011); the stand-in needs its recommended count of 2."""
    with refused_port() as no_sandbox:
        line = await refused_in_one_line(
            ROOT, bot_env(fake, tmp_path / "tutor.sqlite3", no_sandbox, TUTOR_SHARDS="0/1")
        )
    assert line.startswith("Discord closed the gateway connection (code 4011): the bot's")
    assert "TUTOR_SHARDS" in line


async def next_line_with(bot: asyncio.subprocess.Process, text: str) -> str:
    """Read the bot's output up to the first line holding ``text``."""
    assert bot.stdout is not None
    async with asyncio.timeout(PATIENCE_S):
        while line := (await bot.stdout.readline()).decode():
            if text in line:
                return line
    raise AssertionError(f"the bot exited without logging {text!r}")


async def test_a_reload_answered_by_one_process_reaches_the_other(
    fake: FakeDiscord, tmp_path: Path, settings
) -> None:
    """Each process reads its own copy of the course folder, as on separate hosts."""
    guilds = [fake.add_guild(f"class {shard}", shard=shard) for shard in range(SHARDS)]
    folders = [tmp_path / f"content-{shard}" for shard in range(SHARDS)]
    for folder in folders:
        shutil.copytree(ROOT / "content", folder)
    new_title = "Tasks, renamed by the teacher"

    with refused_port() as no_sandbox:
        processes: list[asyncio.subprocess.Process] = []
        try:
            for shard, folder in enumerate(folders):
                bot = await start_bot(
                    fake, tmp_path / "tutor.sqlite3", no_sandbox, cwd=tmp_path,
                    **{**settings, "TUTOR_CONTENT": str(folder)},
                    TUTOR_SHARDS=f"{shard}/{SHARDS}", TUTOR_RELOAD_CHECK_S="1",
                )  # fmt: skip
                processes.append(bot)
            for folder in folders:
                lesson = folder / "lessons" / "tasks.yaml"
                lesson.write_text(
                    lesson.read_text().replace(
                        'title: "Tasks: running coroutines concurrently"', f'title: "{new_title}"'
                    )
                )
            answering, following = (processes[shard_of_guild(g)] for g in guilds)

            ix = await fake.slash(
                "tutor-admin reload", user=guilds[0].admin, channel=guilds[0].text_channel
            )
            reply = await unless_one_exits(processes, ix.original(lambda m: not m.loading))
            assert "the others load it from their own course folder within 1 s" in reply.content
            await unless_one_exits(
                processes, next_line_with(following, "another bot process reloaded it")
            )
            shown = await fake.slash(
                "lesson", {"topic": "tasks"}, user=guilds[1].student, channel=guilds[1].text_channel
            )
            lesson_page = await unless_one_exits(processes, shown.original())
            assert new_title in str(lesson_page.embeds)

            logs = [await stop(bot) for bot in processes]
        finally:
            await kill_the_rest(processes)
    assert "another bot process reloaded it" not in logs[processes.index(answering)]
