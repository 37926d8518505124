"""A real sandbox worker on an ephemeral loopback port, for the sandbox tests."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.sandbox.limits import Limits
from bot.sandbox.pool import SandboxPool
from bot.sandbox.worker import Worker

QUICK = 1.0  # timeout_s for snippets that never end by themselves and must be stopped
POLL_S = 0.01  # how often wait_until re-checks its condition


@dataclass
class Endpoint:
    """A worker's URL, and a client session to call it with."""

    url: str
    session: aiohttp.ClientSession

    async def post(self, payload: Any = None, *, data: bytes | None = None) -> tuple[int, Any]:
        """POST /run with a JSON payload (or raw bytes): (status, decoded JSON body)."""
        body = None if data is None else io.BytesIO(data)
        async with self.session.post(f"{self.url}/run", json=payload, data=body) as response:
            return response.status, await response.json()

    async def health(self) -> dict[str, Any]:
        async with self.session.get(f"{self.url}/health") as response:
            assert response.status == 200
            return await response.json()

    async def run(self, code: str, **fields: Any) -> dict[str, Any]:
        """Run a snippet that the worker must accept, and return its result."""
        status, body = await self.post({"code": code, **fields})
        assert status == 200, body
        return body

    async def assert_still_serving(self) -> None:
        """The check made after every hostile snippet: the next request is normal."""
        result = await self.run("print('still here')")
        assert result["stdout"] == "still here\n"
        assert result["exit_code"] == 0


@dataclass
class Sandbox(Endpoint):
    """A worker running in the test's own process."""

    worker: Worker


@asynccontextmanager
async def running_sandbox(
    limits: Limits | None = None, *, size: int = 2, queue_size: int = 2, prewarm: int = 1
) -> AsyncIterator[Sandbox]:
    pool = await SandboxPool.open(
        limits or Limits(), size=size, queue_size=queue_size, prewarm=prewarm
    )
    worker = Worker(pool)
    try:
        await worker.start("127.0.0.1", 0)
        async with aiohttp.ClientSession() as session:
            yield Sandbox(worker.url, session, worker)
    finally:
        await worker.close()


@asynccontextmanager
async def remote_sandbox(url: str) -> AsyncIterator[Endpoint]:
    """A worker started elsewhere (the deploy test's sandbox container), at ``url``."""
    async with aiohttp.ClientSession() as session:
        yield Endpoint(url.rstrip("/"), session)


@asynccontextmanager
async def worker_process(*options: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """``python -m bot sandbox`` in a process of its own on a free loopback port: the
    process and its URL, once it serves. Its log is read (and dropped) as it comes."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", "0", *options,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    log = process.stderr
    url = ""
    while not url:
        line = (await log.readline()).decode()
        assert line, "the worker stopped before serving"
        url = line.partition("sandbox worker on ")[2].split(" ")[0]
    draining = asyncio.create_task(_drain(log))
    try:
        yield process, url
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await draining


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(1 << 16):
        pass


def processes_with(marker: str) -> list[int]:
    """PIDs of live processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


async def wait_until(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Re-check ``condition`` until it is true, for what nothing announces: processes in
    /proc, the pool's counters (SandboxPool has no event to wait on). It returns as soon
    as the condition holds; ``timeout_s`` is only for one that never will."""
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():  # noqa: ASYNC110 - no event to wait on (see above)
                await asyncio.sleep(POLL_S)
    except TimeoutError:
        raise AssertionError(f"still false after {timeout_s} s: {condition}") from None
