"""`docker-compose up -d --build` (the README's command; compose v1, Debian 12's) starts
the stack on compose's own networks, and the sandbox has no way out of the host.

The networks are checked by inspection only: nothing here sends traffic to a container
address (the health checks run inside each container, on its own loopback).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.compose_run import (
    PROJECT,
    SCALE_UP,
    UP,
    command,
    compose,
    docker,
    until_healthy,
)


@pytest.fixture
def stack(env_file: Path, images: dict[str, str]) -> Iterator[dict[str, str]]:
    """The README's command; `down -v` afterwards (containers, networks, the volume)."""
    try:
        compose(env_file, *UP)
        ids = {name: compose(env_file, "ps", "-q", name).strip() for name in ("bot", "sandbox")}
        yield ids
    finally:
        compose(env_file, "down", "-v")


async def created_services() -> list[str]:
    """The services of the project that have a container, running or not."""
    label, service = f"label=com.docker.compose.project={PROJECT}", "com.docker.compose.service"
    listed = await docker("ps", "-a", "--filter", label, "--format", f'{{{{.Label "{service}"}}}}')
    return sorted(listed.split())


async def test_compose_v1_starts_both_services_and_the_sandbox_is_healthy(stack) -> None:
    assert await created_services() == ["bot", "sandbox"]  # .env's profile `single`
    await until_healthy(stack["sandbox"])
    # The bot was created and started after the sandbox turned healthy (depends_on); it
    # cannot reach Discord here (see env_file), so it only has to exist and have started.
    assert await docker("inspect", "-f", "{{.State.StartedAt}}", stack["bot"]) > "0001"
    health = await docker("exec", stack["sandbox"], "python", "-c", HEALTH)
    assert health == "bubblewrap minimal None"  # isolation, /proc in sandboxes, cgroups


HEALTH = """
import json, os, urllib.request
port = os.environ["TUTOR_SANDBOX_PORT"]
health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10))
print(health["isolation"]["name"], health["isolation"]["proc"], health["cgroups"])
"""


async def test_the_sandbox_is_only_on_the_internal_network_which_has_no_way_out(stack) -> None:
    internal = f"{PROJECT}_internal"
    assert await docker("network", "inspect", "-f", "{{.Internal}}", internal) == "true"
    networks = "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}"
    assert (await docker("inspect", "-f", networks, stack["sandbox"])).split() == [internal]
    assert sorted((await docker("inspect", "-f", networks, stack["bot"])).split()) == [
        f"{PROJECT}_default",
        internal,
    ]
    # The sandbox container's routes all lead to the internal bridge, whose traffic the
    # host drops unless it stays in the internal subnet (Docker's rules for `internal`).
    network_id = await docker("network", "inspect", "-f", "{{.Id}}", internal)
    bridge, subnet = (
        f"br-{network_id[:12]}",
        await docker("network", "inspect", "-f", SUBNET, internal),
    )
    routes = await docker("exec", stack["sandbox"], "cat", "/proc/net/route")
    assert {line.split()[0] for line in routes.splitlines()[1:]} == {"eth0"}
    if os.geteuid() == 0:  # the host's firewall, as Docker set it up
        rules = (await command("iptables", "-S", "DOCKER-ISOLATION-STAGE-1")).splitlines()
        assert f"-A DOCKER-ISOLATION-STAGE-1 ! -d {subnet} -i {bridge} -j DROP" in rules


SUBNET = "{{range .IPAM.Config}}{{.Subnet}}{{end}}"


async def test_the_scale_profile_creates_its_five_services_and_no_single_one(
    env_file: Path, images: dict[str, str]
) -> None:
    """The README's `docker compose --profile scale up -d --build`, with .env's
    COMPOSE_PROFILES=single, up to the containers it creates: started, its bots would
    reach PostgreSQL over compose's network, and this test stays on loopback."""
    create = tuple("--no-start" if part == "-d" else part for part in SCALE_UP)
    try:
        compose(env_file, *create)
        assert await created_services() == ["bot-0", "bot-1", "postgres", "sandbox-0", "sandbox-1"]
    finally:
        compose(env_file, "--profile", "scale", "down", "-v")
