"""A throwaway PostgreSQL server for the test suite, and a fresh database per test.

``TUTOR_TEST_PG`` (a server URL) names a server to use instead; the tests create and
drop only databases of their own there (``tutor_test_*``). Otherwise Debian's
``postgresql`` package is used: ``initdb`` into a temporary folder as an unprivileged
user (PostgreSQL refuses root), a free port on 127.0.0.1, stopped and removed at the
end. Without ``initdb`` the PostgreSQL tests are skipped with one line, except where a
server is expected: here (``initdb`` present) and under ``CI=true``, failing to start
is a failure.
"""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from bot.storage.target import PostgresUrl

SERVER_USER = "tutor"
START_ATTEMPTS = 3


class NoServer(Exception):
    """No PostgreSQL can be had here; the message is the one line the skip shows."""


def find_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _unprivileged() -> tuple[int, int] | None:
    """The (uid, gid) to run the server as when we are root: ``postgres`` if it exists."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise NoServer("running as root and no unprivileged user (postgres, nobody) to run initdb")


def _run_as(ids: tuple[int, int] | None, argv: list[str], log: Path) -> None:
    with log.open("ab") as out:
        result = subprocess.run(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            user=ids[0] if ids else None,
            group=ids[1] if ids else None,
            cwd="/",
            check=False,
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{Path(argv[0]).name} failed: " + " | ".join(tail))


@contextmanager
def throwaway_server(durable: bool = False) -> Iterator[str]:
    """Start a server of our own; yields its URL (user ``tutor``, trust on loopback).
    Tests run it without fsync; ``durable`` (benchmarks) keeps PostgreSQL's defaults."""
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise NoServer("PostgreSQL tests skipped: no initdb (install Debian's postgresql)")
    ids = _unprivileged()
    home = Path(tempfile.mkdtemp(prefix="tutor-pg-"))
    data, log = home / "data", home / "server.log"
    try:
        if ids:
            os.chown(home, *ids)
        log.touch()
        if ids:
            os.chown(log, *ids)
        _run_as(
            ids,
            [initdb, "-D", str(data), "-U", SERVER_USER, "--auth=trust", "--encoding=UTF8",
             "--locale=C", "--no-sync"],
            log,
        )  # fmt: skip
        port = _start(ids, pg_ctl, home, data, log, durable)
        try:
            yield f"postgresql://{SERVER_USER}@127.0.0.1:{port}/postgres"
        finally:
            _run_as(ids, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], log)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _start(
    ids: tuple[int, int] | None, pg_ctl: str, home: Path, data: Path, log: Path, durable: bool
) -> int:
    """Another process may take the free port between probe and bind: try a new one."""
    fast = "" if durable else " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    for attempt in range(START_ATTEMPTS):
        port = _free_port()
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c max_connections=300{fast}"
        try:
            _run_as(
                ids, [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], log
            )
            return port
        except RuntimeError:
            if attempt == START_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def admin(server_url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database, from a thread of its own so
    that it works whether or not an event loop is running in this one."""

    async def run() -> None:
        conn = await asyncpg.connect(server_url, timeout=30)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@contextmanager
def fresh_database(server_url: str) -> Iterator[PostgresUrl]:
    """A new, empty database of our own on the server, dropped afterwards."""
    name = f"tutor_test_{uuid.uuid4().hex[:12]}"
    admin(server_url, f"CREATE DATABASE {name}")
    try:
        base, _, _ = server_url.rpartition("/")
        yield PostgresUrl(f"{base}/{name}")
    finally:
        admin(server_url, f"DROP DATABASE {name} WITH (FORCE)")


def server_expected() -> bool:
    """A server must start where initdb exists (this machine) or CI says so."""
    return find_bin("initdb") is not None or os.environ.get("CI") == "true"
