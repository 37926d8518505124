"""The compose profile `scale` as compose runs it (bot-0, bot-1 and postgres with every
setting from `docker-compose config`), on host networking: two bot containers on shards
0/2 and 1/2 of one PostgreSQL container, against the stand-in with a guild on each shard.
Each guild's interactions are answered once, by its shard's container; both containers
turn healthy (their heartbeat is on their /tmp); SIGTERM stops both with exit 0."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.deploy.compose_run import PROJECT, docker, logs, run_options, state, until_healthy
from tests.deploy.test_containers import HEALTH_EVERY_SECOND, PATIENCE_S, free_port
from tests.deploy.test_postgres_image import PASSWORD, fresh_volume, start
from tests.fake_discord import FakeDiscord
from tests.fake_discord.models import shard_of
from tests.test_bot_process import refused_port

SHARDS = 2
BOTS = ("bot-0", "bot-1")


@pytest.fixture
def volumes() -> Iterator[tuple[str, str]]:
    """PostgreSQL's `tutor-pg` and the bots' shared `tutor-data`, the test's own."""
    for pg in fresh_volume(f"{PROJECT}_scale_pg"):
        for data in fresh_volume(f"{PROJECT}_scale_data"):
            yield pg, data


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(shards=SHARDS, wait_timeout=PATIENCE_S) as stand_in:
        yield stand_in


async def test_two_bot_containers_on_postgres_serve_each_guild_once(
    fake: FakeDiscord,
    images: dict[str, str],
    postgres_image: str,
    compose_services: dict[str, Any],
    volumes: tuple[str, str],
) -> None:
    guilds = [fake.add_guild(f"class {n}", shard=n) for n in range(SHARDS)]
    pg_volume, data_volume = volumes
    port = free_port()
    names = {bot: f"{PROJECT}_{bot.replace('-', '')}_host" for bot in BOTS}
    server = ""
    try:
        server = await start(postgres_image, compose_services["postgres"], pg_volume, port)
        with refused_port() as no_sandbox:
            env = {
                "DISCORD_TOKEN": fake.token,
                **fake.env,
                "TUTOR_DB": f"postgresql://tutor:{PASSWORD}@127.0.0.1:{port}/tutor",
                "TUTOR_SANDBOX_URL": f"http://127.0.0.1:{no_sandbox}",
            }
            for bot, name in names.items():
                options = run_options(
                    compose_services[bot], volumes={"tutor-data": data_volume}, env=env
                )
                await docker("rm", "-f", name, check=False)
                await docker("run", "-d", "--name", name, *HEALTH_EVERY_SECOND, *options,
                             images["bot"])  # fmt: skip
            try:
                await fake.until(
                    lambda: len(fake.gateway.identifies) == SHARDS,
                    "both containers' gateway sessions",
                )
            except AssertionError:
                output = [await logs(name) for name in names.values()]
                raise AssertionError("\n".join(output)) from None

            asked = []
            for guild in guilds:
                for command in ("lessons", "progress"):
                    ix = await fake.slash(command, user=guild.student, channel=guild.text_channel)
                    shown = await ix.original(lambda m: not m.loading)
                    assert shown.content or shown.embeds, (guild.name, command)
                    asked.append(ix)
            await asyncio.gather(*(until_healthy(name) for name in names.values()))

            served = {bot: await logs(name, tail="all") for bot, name in names.items()}
            for name in names.values():
                await docker("stop", name)
                assert (await state(name))["ExitCode"] == 0, await logs(name)
    finally:
        for name in [*names.values(), server]:
            if name:
                await docker("rm", "-f", name, check=False)

    callbacks = Counter(
        call.path.split("/")[2] for call in fake.calls_to("POST", "/interactions/*/callback")
    )
    assert {str(ix.id): callbacks[str(ix.id)] for ix in asked} == {str(ix.id): 1 for ix in asked}
    for guild in guilds:
        owner = BOTS[shard_of(guild.id, SHARDS)]
        assert [f"interaction guild={guild.id} " in served[bot] for bot in BOTS] == [
            bot == owner for bot in BOTS
        ], guild.name
