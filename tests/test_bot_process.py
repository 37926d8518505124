"""`python -m bot run` as a real process: made-up token, the local stand-in, every command
answered, and a clean exit on SIGTERM with a running class quiz saved."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from tests.conftest import ROOT
from tests.fake_discord import FakeDiscord
from tests.fake_discord.models import FakeUser, walk_components

T = TypeVar("T")
# Only for a bot that never gets there: every wait ends as soon as what it waits for happens.
PATIENCE_S = 60.0


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port held by a socket that never listens: connecting to it is refused,
    and nothing else can take it meanwhile."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        yield taken.getsockname()[1]


async def unless_it_exits(bot: asyncio.subprocess.Process, waiting: Awaitable[T]) -> T:
    """``await waiting``, but fail at once with the bot's output if the bot exits first."""
    wait = asyncio.ensure_future(waiting)
    exit_ = asyncio.ensure_future(bot.wait())
    try:
        await asyncio.wait({wait, exit_}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        exit_.cancel()
    if not wait.done():
        wait.cancel()
        assert bot.stdout is not None
        output = await bot.stdout.read()
        raise AssertionError(f"the bot exited with {bot.returncode}:\n{output.decode()}")
    return wait.result()


async def file_appears(path: Path) -> None:
    async with asyncio.timeout(PATIENCE_S):
        while not path.exists():  # noqa: ASYNC110 - a file on disk: nothing to wait on
            await asyncio.sleep(0.05)


def bot_env(fake: FakeDiscord, db: Path, sandbox_port: int, **settings: str) -> dict[str, str]:
    # (`settings` override these: TUTOR_DB may name a PostgreSQL database instead.)
    """The environment of `python -m bot run` against the stand-in, with more `settings`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISCORD_TOKEN": fake.token,
        "TUTOR_DB": str(db),
        # Nothing listens there: /run must say so.
        "TUTOR_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "TUTOR_CONFIG": str(db.parent / "none.yaml"),
        **fake.env,
        **settings,
    }


async def start_bot(
    fake: FakeDiscord, db: Path, sandbox_port: int, *, cwd: Path = ROOT, **settings: str
) -> asyncio.subprocess.Process:
    """`python -m bot run` against the stand-in, in `cwd`, with more `settings`
    (environment variables) if given; returns once it is connected."""
    env = bot_env(fake, db, sandbox_port, **settings)
    connections = fake.gateway.connected
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        # Commands synced, and the connection was sent READY and GUILD_CREATE before
        # anything else: the bot reads them before any interaction.
        await unless_it_exits(
            bot,
            fake.until(
                lambda: fake.synced_commands() and fake.gateway.connected > connections,
                "the bot's commands and its gateway connection",
            ),
        )
    except BaseException:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        raise
    return bot


@pytest.fixture
async def running(tmp_path) -> AsyncIterator[tuple[FakeDiscord, asyncio.subprocess.Process]]:
    async with FakeDiscord(wait_timeout=PATIENCE_S) as fake:
        with refused_port() as no_sandbox:
            bot = await start_bot(fake, tmp_path / "tutor.sqlite3", no_sandbox)
            try:
                yield fake, bot
            finally:
                if bot.returncode is None:
                    bot.kill()
                    await bot.wait()


async def test_every_command_answers_and_sigterm_stops_cleanly(running, tmp_path) -> None:
    fake, bot = running
    g = fake.guild
    student, teacher, admin = g.student, g.teacher, g.admin
    calls = [
        ("lessons", {}, student),
        ("lesson", {"topic": "tasks", "level": "medium"}, student),
        ("flashcards review", {}, student),
        ("flashcards stats", {}, student),
        ("quiz", {}, student),
        ("progress", {}, student),
        ("leaderboard", {"period": "week"}, student),
        ("tutor-admin settings", {}, admin),
        ("tutor forget-me", {}, student),
        ("run", {}, student),
    ]
    for name, options, user in calls:
        ix = await fake.slash(name, options, user=user)
        reply = await ix.response()
        if reply.message is not None:
            shown = await ix.original(lambda m: not m.loading)
            assert not shown.content.startswith("Sorry"), (name, shown.content)
            assert shown.content or shown.embeds, name

    await fake.slash("class-quiz start", {"questions": 3, "seconds": 60}, user=teacher)
    question = await fake.wait_for_message(
        g.text_channel, lambda m: "Class quiz ·" in str(m.embeds) and not m.ephemeral
    )
    answer = question.custom_ids[0]
    await (await fake.click(question, answer, user=student)).response()

    heartbeat = tmp_path / "bot.heartbeat"
    await unless_it_exits(bot, file_appears(heartbeat))  # written once the bot is ready
    health = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "health", cwd=ROOT,
        env={"TUTOR_DB": str(tmp_path / "tutor.sqlite3"), "PATH": os.environ["PATH"]},
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert (await health.communicate())[0].startswith(b"healthy")

    bot.send_signal(signal.SIGTERM)
    async with asyncio.timeout(PATIENCE_S):
        output, _ = await bot.communicate()
    assert bot.returncode == 0, output.decode()
    podium = await fake.wait_for_message(g.text_channel, lambda m: "stopped" in str(m.embeds))
    assert "points" in podium.embeds[0]["description"]
    db = sqlite3.connect(tmp_path / "tutor.sqlite3")
    assert db.execute("SELECT count(*) FROM quiz_answers WHERE source = 'class'").fetchone() == (1,)
    log = output.decode()
    assert "signal received: shutting down" in log and "stopped cleanly" in log
    assert fake.token not in log
    assert f"interaction guild={g.id} user={student.id} command=lessons" in log
    # No warning an operator would have to read past, but the one for this test's missing
    # sandbox (discord.py's about voice libraries the bot does not use is silenced).
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    assert [line for line in warnings if "sandbox worker is not answering" not in line] == []


async def test_an_unreachable_discord_is_one_clear_line(tmp_path) -> None:
    with refused_port() as port:  # nothing listens there
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DISCORD_TOKEN": "made-up",
            "TUTOR_DB": str(tmp_path / "tutor.sqlite3"),
            "TUTOR_CONFIG": str(tmp_path / "none.yaml"),
            "DISCORD_API_BASE": f"http://127.0.0.1:{port}/api/v10",
            "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/gateway",
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        async with asyncio.timeout(PATIENCE_S):
            _, errors = await bot.communicate()
    assert bot.returncode == 1
    assert errors.decode().startswith(f"cannot reach Discord at http://127.0.0.1:{port}/api/v10")
    assert "Traceback" not in errors.decode()


async def test_a_second_bot_on_the_same_database_exits_with_one_line(running, tmp_path) -> None:
    fake, first = running
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DISCORD_TOKEN": fake.token,
        "TUTOR_DB": str(tmp_path / "tutor.sqlite3"),
        "TUTOR_CONFIG": str(tmp_path / "none.yaml"),
        **fake.env,
    }
    second = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(PATIENCE_S):
        _, errors = await second.communicate()
    assert second.returncode == 1
    lines = errors.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("cannot start: another bot process")
    assert f"pid {first.pid}" in lines[0]
    assert first.returncode is None  # the first one serves on


async def test_a_bot_killed_during_a_class_quiz_loses_no_acknowledged_answer(
    running, tmp_path
) -> None:
    fake, bot = running
    g = fake.guild
    db_path = tmp_path / "tutor.sqlite3"
    students = [g.student] + [g.add_member(FakeUser(f"student-{i}")) for i in range(11)]
    await fake.slash("class-quiz start", {"questions": 3, "seconds": 120}, user=g.teacher)
    question = await fake.wait_for_message(
        g.text_channel, lambda m: "Class quiz ·" in str(m.embeds) and not m.ephemeral
    )
    clicks = [
        await fake.click(question, question.custom_ids[i % 2], user=student)
        for i, student in enumerate(students)
    ]
    replies = [await click.response() for click in clicks]
    acknowledged = sum(r.message is not None and "Locked in" in r.message.content for r in replies)
    assert acknowledged == len(students)

    bot.kill()  # SIGKILL: no clean-up of any kind
    await bot.wait()
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT count(*) FROM class_quiz_answers").fetchone() == (acknowledged,)
    # The dead process's lease goes stale after 15 s; age it instead of waiting.
    with db:
        db.execute("UPDATE leases SET renewed_at = renewed_at - 60")
    await fake.until(lambda: fake.gateway.connected == 0, "the dead bot's disconnection")

    with refused_port() as no_sandbox:
        successor = await start_bot(fake, db_path, no_sandbox)
    try:
        ended = await fake.wait_for_message(
            g.text_channel, lambda m: m.id == question.id and "ended early" in str(m.embeds)
        )
        assert all(c["disabled"] for c in walk_components(ended.components) if "custom_id" in c)
        counted = db.execute("SELECT count(*) FROM quiz_answers WHERE source = 'class'").fetchone()
        assert counted == (acknowledged,)
        for student in students:
            assert student.name in ended.embeds[0]["description"]
    finally:
        successor.send_signal(signal.SIGTERM)
        await successor.communicate()
