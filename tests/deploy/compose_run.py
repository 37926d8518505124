"""The compose file's settings as `docker run` options, and the Docker calls the deploy
test makes.

The settings come from `docker-compose config` (the file as compose itself reads it), so
the containers the test starts cannot drift from what `docker compose up` starts. Only
the network differs: the test runs them with host networking, so its traffic stays on
loopback. A setting this module does not know fails the test rather than being dropped.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

# One compose project per checkout (compose v1 keeps letters and digits only): two
# worktrees' deploy tests on one engine never share a container, volume or image tag, and
# a checkout's next run finds its images (and Docker's layer cache) where it left them.
PROJECT = "asynciotutortest" + hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
COMPOSE = [
    "docker-compose",
    "--project-directory",
    str(ROOT),
    "-f",
    str(ROOT / "docker-compose.yml"),
]
# Keys compose uses to build and wire the stack, which a single `docker run` replaces:
# the image is built from `build`; host networking replaces `networks` and `expose`; the
# test starts the sandbox first and waits until it is healthy (`depends_on`); the test
# picks the services it runs (`profiles`).
REPLACED = {"build", "networks", "expose", "depends_on", "profiles"}
# What .env.example sets (its COMPOSE_PROFILES line): the profile a plain `up` starts.
EXAMPLE_PROFILES = next(
    line
    for line in (ROOT / ".env.example").read_text().splitlines()
    if line.startswith("COMPOSE_PROFILES=")
)
# The README's commands, as the deploy test runs them (tests/test_deploy_files.py checks
# that the README still says so).
UP = ("up", "-d", "--build")
SCALE_UP = ("--profile", "scale", "up", "-d", "--build")
BACKUP = ("python", "-m", "bot", "db", "backup", "/data/backups/")
# Moving a single deployment's SQLite file into the scale profile's PostgreSQL, run in a
# scale bot (`docker compose run --rm --no-deps bot-0 ...`): TUTOR_DB is its server.
MOVE = ("sh", "-c", 'exec python -m bot db copy /data/tutor.sqlite3 "$TUTOR_DB"')


# The variables .env may set (.env.example), which a developer's own must not change here.
OURS = ("DISCORD_", "TUTOR_", "COMPOSE_")


def compose(env_file: Path, *args: str) -> str:
    """Run docker-compose on our file for project PROJECT, with the settings of
    ``env_file`` only (compose prefers the environment's: `make` exports .env's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    done = subprocess.run(
        [*COMPOSE, "-p", PROJECT, "--env-file", str(env_file), *args],
        capture_output=True, text=True, check=False, env=env, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, f"docker-compose {' '.join(args)}:\n{done.stderr}"
    return done.stdout


def services(env_file: Path) -> dict[str, Any]:
    return yaml.safe_load(compose(env_file, "config"))["services"]


def run_options(
    service: dict[str, Any], *, volumes: dict[str, str], env: dict[str, str]
) -> list[str]:
    """`docker run` options for ``service``, with host networking. ``volumes`` renames
    named volumes (the test's own); ``env`` sets the variables that host networking and
    the Discord stand-in change."""
    options = ["--network", "host"]
    environment = dict(service.get("environment") or {})
    for key, value in service.items():
        if key in REPLACED or key == "environment":
            continue
        options += _option(key, value, volumes)
    environment.update(env)
    for name, value in environment.items():
        options += ["-e", f"{name}={value}"]
    return options


def _option(key: str, value: Any, volumes: dict[str, str]) -> list[str]:
    match key:
        case "cap_drop" | "security_opt" | "tmpfs":
            flag = "--" + key.replace("_", "-")
            return [part for item in value for part in (flag, str(item))]
        case "labels":
            return [part for name, text in value.items() for part in ("--label", f"{name}={text}")]
        case "read_only":
            return ["--read-only"] if value else []
        case "restart":
            return ["--restart", value]
        case "mem_limit":
            return ["--memory", str(value)]
        case "pids_limit":
            return ["--pids-limit", str(value)]
        case "cpus":
            return ["--cpus", str(value)]
        case "stop_grace_period":
            return ["--stop-timeout", str(_seconds(value))]
        case "volumes":
            named = []
            for item in value:
                source, _, target = item.partition(":")
                named += ["-v", f"{volumes[source]}:{target}"]
            return named
    raise AssertionError(
        f"docker-compose.yml sets {key!r}, which the deploy test does not translate"
    )


def _seconds(duration: str | int) -> int:
    """Compose durations: ``15s``, ``1m30s``, or a number of seconds."""
    if isinstance(duration, int):
        return duration
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts is not None and duration, f"a duration the test cannot read: {duration!r}"
    minutes, seconds = (int(p or 0) for p in parts.groups())
    return 60 * minutes + seconds


async def command(*args: str, check: bool = True) -> str:
    """Run ``args`` without blocking the event loop (the Discord stand-in runs on it)."""
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if check:
        assert process.returncode == 0, f"{' '.join(args)}: {err.decode()}"
    return out.decode().strip()


async def docker(*args: str, check: bool = True) -> str:
    return await command("docker", *args, check=check)


async def logs(container: str, tail: str = "40") -> str:
    """The container's last ``tail`` lines ("all": every line), stdout and stderr together."""
    process = await asyncio.create_subprocess_exec(
        "docker", "logs", "--tail", tail, container,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    return (await process.communicate())[0].decode()


async def state(container: str) -> dict[str, Any]:
    inspected = yaml.safe_load(await docker("inspect", "-f", "{{json .State}}", container))
    assert isinstance(inspected, dict)
    return inspected


async def until_healthy(container: str) -> None:
    """Wait for Docker's own health check to pass; fail with the logs if it exits."""
    async with asyncio.timeout(180):
        while (now := await state(container))["Health"]["Status"] != "healthy":
            if now["Status"] == "exited":
                output = await logs(container)
                raise AssertionError(f"{container} exited with {now['ExitCode']}:\n{output}")
            await asyncio.sleep(0.2)  # Docker announces no health change
