"""The `scale` profile's PostgreSQL image (docker/postgres.Dockerfile), built FROM the
base image with Debian's `postgresql`, run with the compose file's settings on host
networking (a free port of 127.0.0.1): the first start makes the cluster in the volume,
the server accepts the password from the environment and refuses another, and a
recreated container finds the data where the first left it; and a single deployment's
SQLite file moves into it from a scale bot's container (docs/SCALING.md), which backs it
up and restores it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage.target import parse_target
from tests.deploy.compose_run import (
    BACKUP,
    MOVE,
    PROJECT,
    docker,
    run_options,
    until_healthy,
)
from tests.deploy.test_containers import HEALTH_EVERY_SECOND, free_port
from tests.test_db_copy import checks, seed

PASSWORD = secrets.token_hex(12)


def fresh_volume(name: str) -> Iterator[str]:
    asyncio.run(docker("volume", "rm", "-f", name, check=False))
    asyncio.run(docker("volume", "create", name))
    yield name
    asyncio.run(docker("volume", "rm", "-f", name, check=False))


@pytest.fixture
def volume() -> Iterator[str]:
    yield from fresh_volume(f"{PROJECT}_pg_host")


@pytest.fixture
def data_volume() -> Iterator[str]:
    """The single bot's `tutor-data`, for the test's own containers."""
    yield from fresh_volume(f"{PROJECT}_move_data")


async def start(image: str, service: dict[str, Any], volume: str, port: int) -> str:
    name = f"{PROJECT}_postgres_host"
    env = {"PGPORT": str(port), "POSTGRES_LISTEN": "127.0.0.1", "POSTGRES_PASSWORD": PASSWORD}
    options = run_options(service, volumes={"tutor-pg": volume}, env=env)
    await docker("rm", "-f", name, check=False)
    await docker("run", "-d", "--name", name, *HEALTH_EVERY_SECOND, *options, image)
    await until_healthy(name)
    return name


async def sql(container: str, port: int, password: str, query: str) -> str:
    """``query`` over TCP to 127.0.0.1 with a password, as a bot connects."""
    url = f"postgresql://tutor:{password}@127.0.0.1:{port}/tutor"
    return await docker("exec", container, "psql", url, "-tAc", query, check=False)


async def test_postgres_starts_in_its_volume_and_takes_the_password(
    postgres_image: str, compose_services: dict[str, Any], volume: str
) -> None:
    port = free_port()
    container = await start(postgres_image, compose_services["postgres"], volume, port)
    try:
        assert await sql(container, port, PASSWORD, "SELECT current_database()") == "tutor"
        assert await sql(container, port, "wrong", "SELECT 1") == ""  # refused
        await sql(container, port, PASSWORD, "CREATE TABLE kept AS SELECT 7 AS x")
        await docker("stop", container)  # SIGTERM: a clean shutdown
        await docker("rm", container)
        container = await start(postgres_image, compose_services["postgres"], volume, port)
        assert await sql(container, port, PASSWORD, "SELECT x FROM kept") == "7"
        assert "first start" not in await docker("logs", container)
    finally:
        await docker("rm", "-f", container, check=False)


async def test_a_single_deployments_progress_moves_into_postgres_and_a_scale_bot_backs_it_up(
    postgres_image: str,
    images: dict[str, str],
    compose_services: dict[str, Any],
    volume: str,
    data_volume: str,
    tmp_path: Path,
) -> None:
    """docs/SCALING.md's move: the SQLite file in `bot`'s volume, copied by `docker compose
    run --rm --no-deps bot-0 ...` (MOVE) into the server its TUTOR_DB names; then the
    README's backup and restore, run in a scale bot's container (pg_dump, pg_restore)."""
    sqlite = tmp_path / "tutor.sqlite3"
    await seed(tmp_path, sqlite)
    await docker(
        "run", "--rm", "--user", "0", "-v", f"{data_volume}:/data", "-v", f"{tmp_path}:/seed:ro",
        images["bot"], "sh", "-c", "cp /seed/tutor.sqlite3 /data/ && chown -R 10001 /data",
    )  # fmt: skip
    port = free_port()
    server = await start(postgres_image, compose_services["postgres"], volume, port)
    url = f"postgresql://tutor:{PASSWORD}@127.0.0.1:{port}/tutor"
    # `docker compose run` keeps no restart policy: each command runs once.
    bot = {k: v for k, v in compose_services["bot-0"].items() if k != "restart"}
    options = run_options(bot, volumes={"tutor-data": data_volume}, env={"TUTOR_DB": url})

    async def in_bot(*command: str) -> str:
        return await docker("run", "--rm", *options, images["bot"], *command)

    try:
        copied = await in_bot(*MOVE)
        assert copied.endswith("tables; both read back equal")
        moved = {**await checks(sqlite), "leases": (0, f"{0:064x}")}  # no bot serves it yet
        assert await checks(parse_target(url)) == moved

        backup = f"{BACKUP[-1]}moved.dump"
        assert (await in_bot(*BACKUP[:-1], backup)).startswith("backed up ")
        await sql(server, port, PASSWORD, "DELETE FROM quiz_answers")
        assert (await in_bot("python", "-m", "bot", "db", "restore", backup)).startswith(
            f"restored {backup} to "
        )
        assert await checks(parse_target(url)) == moved
    finally:
        await docker("rm", "-f", server, check=False)
