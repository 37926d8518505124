"""Both images run as docker-compose.yml says (every setting from `docker-compose config`,
see compose_run.py), with host networking so that all traffic stays on 127.0.0.1: the bot
container against the local Discord stand-in, `/run` through the sandbox container, the
health checks, SIGTERM, a recreated bot container keeping its data, `db backup` from the
container; and the hostile suite against the sandbox container.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import ROOT
from tests.deploy.compose_run import (
    BACKUP,
    PROJECT,
    docker,
    logs,
    run_options,
    state,
    until_healthy,
)
from tests.fake_discord import FakeDiscord
from tests.test_discord_run import submit_code
from tests.test_sandbox_hostile import SECRET

# The images' own health checks, run every second rather than every 10-30 s: the test
# waits for "healthy" without waiting for the schedule.
HEALTH_EVERY_SECOND = ["--health-interval", "1s"]
PATIENCE_S = 120.0  # for a container that never gets there; waits end when it does


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def sandbox_url(images: dict[str, str], compose_services: dict[str, Any]) -> Iterator[str]:
    """The sandbox container, healthy, listening on a free port of 127.0.0.1 only. Its
    environment holds SECRET, which the hostile suite looks for in every snippet."""
    port, name = free_port(), f"{PROJECT}_sandbox_host"
    env = {
        "TUTOR_SANDBOX_HOST": "127.0.0.1",
        "TUTOR_SANDBOX_PORT": str(port),
        "DISCORD_TOKEN": SECRET,
    }
    options = run_options(compose_services["sandbox"], volumes={}, env=env)
    asyncio.run(docker("rm", "-f", name, check=False))
    asyncio.run(
        docker("run", "-d", "--name", name, *HEALTH_EVERY_SECOND, *options, images["sandbox"])
    )
    try:
        asyncio.run(until_healthy(name))
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run(docker("rm", "-f", name, check=False))


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"{PROJECT}_data_host"
    asyncio.run(docker("volume", "rm", "-f", name, check=False))
    asyncio.run(docker("volume", "create", name))
    yield name
    asyncio.run(docker("volume", "rm", "-f", name, check=False))


async def test_the_sandbox_container_isolates_with_bubblewrap_and_rlimits(sandbox_url) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{sandbox_url}/health") as response:
            health = await response.json()
    # Not root in the container: bubblewrap in a user namespace of its own; /proc minimal
    # (Docker's masked paths stay, see docker-compose.yml); no writable cgroups, so
    # every per-snippet bound is an rlimit (docs/SCALING.md).
    assert health["isolation"] == {
        "name": "bubblewrap",
        "privileged": False,
        "namespaces": ["mount", "pid", "net", "ipc", "uts", "cgroup", "user"],
        "seccomp": True,
        "forked_from_zygote": False,  # a zygote needs root
        "proc": "minimal",
    }
    assert health["cgroups"] is None


class BotContainer:
    """The bot container, run as compose runs it, pointed at the stand-in and the sandbox."""

    def __init__(
        self, fake: FakeDiscord, image: str, service: dict[str, Any], **where: str
    ) -> None:
        env = {"DISCORD_TOKEN": fake.token, **fake.env, "TUTOR_SANDBOX_URL": where["sandbox_url"]}
        self.options = run_options(service, volumes={"tutor-data": where["volume"]}, env=env)
        self.image, self.name, self.fake = image, f"{PROJECT}_bot_host", fake

    async def start(self) -> None:
        await docker("rm", "-f", self.name, check=False)
        await docker(
            "run", "-d", "--name", self.name, *HEALTH_EVERY_SECOND, *self.options, self.image
        )

    async def until_connected(self, sessions: int) -> None:
        """Commands synced and the ``sessions``-th gateway session identified."""
        try:
            await self.fake.until(
                lambda: (
                    self.fake.synced_commands()
                    and len(self.fake.gateway.identifies) == sessions
                    and self.fake.gateway.connected
                ),
                "the bot container's commands and gateway session",
            )
        except AssertionError:
            raise AssertionError(
                f"not connected; the bot's log:\n{await logs(self.name)}"
            ) from None

    async def stop(self) -> int:
        """SIGTERM (`docker stop`, after the compose file's grace period SIGKILL, 137)."""
        started = time.monotonic()
        await docker("stop", self.name)
        print(f"\nbot container stopped in {time.monotonic() - started:.2f} s")
        return int((await state(self.name))["ExitCode"])

    async def copy_out(self, path: str, to: Path) -> sqlite3.Connection:
        await docker("cp", f"{self.name}:{path}", str(to))
        return sqlite3.connect(to)

    async def remove(self) -> None:
        await docker("rm", "-f", self.name, check=False)


@pytest.fixture
async def bot_container(images, compose_services, sandbox_url, volume):
    async with FakeDiscord(wait_timeout=PATIENCE_S) as fake:
        bot = BotContainer(
            fake, images["bot"], compose_services["bot"], sandbox_url=sandbox_url, volume=volume
        )
        try:
            yield bot
        finally:
            await bot.remove()


async def test_the_bot_container_answers_runs_code_and_stops_cleanly(
    bot_container, tmp_path
) -> None:
    bot, fake = bot_container, bot_container.fake
    g = fake.guild
    await bot.start()
    await bot.until_connected(sessions=1)

    reply = await submit_code(fake, "print(sum(range(10)))")
    assert reply.content.startswith("✅ exit 0"), reply.content
    assert "45" in reply.content
    assert "ran 21 bytes: exit 0" in await logs(f"{PROJECT}_sandbox_host")

    await fake.slash("class-quiz start", {"questions": 3, "seconds": 60}, user=g.teacher)
    question = await fake.wait_for_message(
        g.text_channel, lambda m: "Class quiz ·" in str(m.embeds) and not m.ephemeral
    )
    await (await fake.click(question, question.custom_ids[0], user=g.student)).response()
    await until_healthy(bot.name)
    *backup_command, backups = BACKUP
    backup_path = f"{backups}{date.today()}.sqlite3"  # as in the README
    await docker("exec", bot.name, *backup_command, backup_path)

    assert await bot.stop() == 0  # by itself, within the grace period: no SIGKILL
    await fake.wait_for_message(g.text_channel, lambda m: "stopped" in str(m.embeds))
    saved = await bot.copy_out("/data/tutor.sqlite3", tmp_path / "after-stop.sqlite3")
    assert saved.execute("SELECT count(*) FROM quiz_answers WHERE source = 'class'").fetchone() == (
        1,
    )
    backup = await bot.copy_out(backup_path, tmp_path / "backup.sqlite3")
    assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert (
        backup.execute("PRAGMA user_version").fetchone()
        == saved.execute("PRAGMA user_version").fetchone()
    )

    # A new container on the same volume: the data is there, so the commands' hash too,
    # and nothing is synced again.
    synced = len(fake.calls_to("PUT", "/applications/*/commands"))
    await bot.remove()
    await bot.start()
    await bot.until_connected(sessions=2)
    progress = await (await fake.slash("progress", user=g.student)).original(
        lambda m: not m.loading
    )
    assert progress.content or progress.embeds
    assert len(fake.calls_to("PUT", "/applications/*/commands")) == synced
    assert await bot.stop() == 0
    kept = await bot.copy_out("/data/tutor.sqlite3", tmp_path / "after-recreate.sqlite3")
    assert kept.execute("SELECT count(*) FROM quiz_answers WHERE source = 'class'").fetchone() == (
        1,
    )


def test_the_hostile_suite_holds_against_the_sandbox_container(sandbox_url) -> None:
    """Every hostile test, against the container's worker (what cannot hold there yet is
    listed in container_gaps.py, as strict expected failures)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_sandbox_hostile.py", "-rxX",
         "-p", "tests.deploy.container_gaps", "-p", "no:cacheprovider"],
        cwd=ROOT, env={**os.environ, "TUTOR_TEST_SANDBOX_URL": sandbox_url},
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    summary = [line for line in done.stdout.splitlines() if line.startswith("XFAIL")]
    summary.append(done.stdout.strip().splitlines()[-1])  # the counts
    print("\nhostile suite against the sandbox container:", *summary, sep="\n  ")
    assert done.returncode == 0, done.stdout[-6000:]


async def test_sigterm_stops_the_sandbox_container_with_exit_0(sandbox_url) -> None:
    name = f"{PROJECT}_sandbox_host"
    await docker("stop", name)
    assert (await state(name))["ExitCode"] == 0, await logs(name)
