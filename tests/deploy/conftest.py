"""The deploy test: real images and containers. `make test-deploy` runs it (and `make
test` where a Docker engine can be started); in a plain `pytest` run it is skipped."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.compose_run import EXAMPLE_PROFILES, PROJECT, compose, services

ENABLED = os.environ.get("TUTOR_DEPLOY_TEST") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="real containers: run by make test-deploy")
    for item in items:
        if "tests/deploy/" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What compose reads instead of a developer's .env: a made-up token, .env.example's
    profile, and Discord's addresses on the bot container's own loopback, where nothing
    listens (only test_compose_up starts the stack on compose's networks)."""
    path = tmp_path_factory.mktemp("compose") / "test.env"
    path.write_text(
        "DISCORD_TOKEN=made-up-token\n"
        f"{EXAMPLE_PROFILES}\n"
        "DISCORD_API_BASE=http://127.0.0.1:9/api/v10\n"
        "DISCORD_GATEWAY_URL=ws://127.0.0.1:9/gateway\n"
    )
    return path


@pytest.fixture(scope="session")
def compose_services(env_file: Path) -> dict[str, Any]:
    return services(env_file)


@pytest.fixture(scope="session")
def images(env_file: Path) -> Iterator[dict[str, str]]:
    """Both images, built by compose with Docker's layer cache (BASE_IMAGE from the
    environment: scripts/test-deploy.sh sets it)."""
    started = time.monotonic()
    compose(env_file, "build")
    base = os.environ.get("BASE_IMAGE")
    print(f"\nimages built in {time.monotonic() - started:.1f} s (BASE_IMAGE={base})")
    yield {name: f"{PROJECT}_{name}" for name in ("bot", "sandbox")}


@pytest.fixture(scope="session")
def postgres_image(env_file: Path) -> str:
    """The `scale` profile's PostgreSQL image, built by compose (layer cache)."""
    compose(env_file, "--profile", "scale", "build", "postgres")
    return f"{PROJECT}_postgres"
