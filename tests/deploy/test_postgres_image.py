"""The `scale` profile's PostgreSQL image (docker/postgres.Dockerfile), built FROM the
base image with Debian's `postgresql`, run with the compose file's settings on host
networking (a free port of 127.0.0.1): the first start makes the cluster in the volume,
the server accepts the password from the environment and refuses another, and a
recreated container finds the data where the first left it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_run import PROJECT, compose, docker, run_options, until_healthy
from tests.deploy.test_containers import HEALTH_EVERY_SECOND, free_port

PASSWORD = secrets.token_hex(12)


@pytest.fixture(scope="module")
def image(env_file: Path) -> str:
    compose(env_file, "--profile", "scale", "build", "postgres")
    return f"{PROJECT}_postgres"


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"{PROJECT}_pg_host"
    asyncio.run(docker("volume", "rm", "-f", name, check=False))
    asyncio.run(docker("volume", "create", name))
    yield name
    asyncio.run(docker("volume", "rm", "-f", name, check=False))


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
    image: str, compose_services: dict[str, Any], volume: str
) -> None:
    port = free_port()
    container = await start(image, compose_services["postgres"], volume, port)
    try:
        assert await sql(container, port, PASSWORD, "SELECT current_database()") == "tutor"
        assert await sql(container, port, "wrong", "SELECT 1") == ""  # refused
        await sql(container, port, PASSWORD, "CREATE TABLE kept AS SELECT 7 AS x")
        await docker("stop", container)  # SIGTERM: a clean shutdown
        await docker("rm", container)
        container = await start(image, compose_services["postgres"], volume, port)
        assert await sql(container, port, PASSWORD, "SELECT x FROM kept") == "7"
        assert "first start" not in await docker("logs", container)
    finally:
        await docker("rm", "-f", container, check=False)
