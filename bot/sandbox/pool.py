"""Bounded concurrency: a few snippets at a time, a short queue, and sandboxes started
ahead of time so that a request only pays for running its code.

Past the queue a request is refused at once (``PoolBusy``) rather than left to wait
for a slot behind a minute of five-second snippets.
"""

from __future__ import annotations

import asyncio
import logging

from bot.sandbox.cgroups import Cgroups, set_up_cgroups
from bot.sandbox.isolation import Isolation, choose_isolation
from bot.sandbox.limits import Limits
from bot.sandbox.process import SandboxProcess, SandboxStartError
from bot.sandbox.request import RunRequest
from bot.sandbox.result import RunResult

log = logging.getLogger(__name__)

RETRY_AFTER_FAILED_START_S = 1.0


class PoolBusy(Exception):
    """Every slot is running a snippet and the queue is full."""


class SandboxPool:
    def __init__(
        self,
        isolation: Isolation,
        cgroups: Cgroups | None,
        limits: Limits,
        size: int,
        queue_size: int,
        prewarm: int,
    ) -> None:
        self.isolation = isolation
        self.cgroups = cgroups
        self.limits = limits
        self._size = size
        self._queue_size = queue_size
        self._slots = asyncio.Semaphore(size)
        self._waiting = 0
        self._running = 0
        self._ready: asyncio.Queue[SandboxProcess] = asyncio.Queue(maxsize=prewarm)
        self._refill_task: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        limits: Limits,
        *,
        size: int,
        queue_size: int,
        prewarm: int,
        unsafe_dev: bool = False,
    ) -> SandboxPool:
        """Check this machine's isolation (IsolationUnavailable if there is none and
        ``unsafe_dev`` is off), set up cgroups if possible, and start pre-warming."""
        isolation = await choose_isolation(limits, unsafe_dev)
        cgroups = await asyncio.to_thread(set_up_cgroups)
        if cgroups is None:
            log.warning("no writable cgroup memory/pids controllers: rlimits only")
        pool = cls(isolation, cgroups, limits, size, queue_size, prewarm)
        if prewarm:
            pool._refill_task = asyncio.create_task(pool._refill(), name="sandbox-prewarm")
        return pool

    async def run(self, request: RunRequest) -> RunResult:
        if self._slots.locked() and self._waiting >= self._queue_size:
            raise PoolBusy(
                f"the sandbox is busy: {self._running} snippets running and "
                f"{self._waiting} waiting; try again in a few seconds"
            )
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._running += 1
        try:
            if self.isolation.unsafe:
                log.warning("UNSAFE: running a snippet without any isolation (--unsafe-dev)")
            sandbox = await self._take()
            return await sandbox.run(request.code, request.stdin, request.limits)
        finally:
            self._running -= 1
            self._slots.release()

    async def _take(self) -> SandboxProcess:
        """A pre-started sandbox if one is waiting (and still alive), else a new one."""
        while not self._ready.empty():
            sandbox = self._ready.get_nowait()
            if sandbox.alive:
                return sandbox
            await sandbox.close()
        return await self._start()

    async def _start(self) -> SandboxProcess:
        return await SandboxProcess.start(self.isolation, self.cgroups, self.limits)

    async def _refill(self) -> None:
        while True:
            try:
                sandbox = await self._start()
            except SandboxStartError as exc:
                log.error("cannot pre-start a sandbox: %s", exc)
                await asyncio.sleep(RETRY_AFTER_FAILED_START_S)
                continue
            try:
                await self._ready.put(sandbox)
            except asyncio.CancelledError:
                await sandbox.close()
                raise

    def stats(self) -> dict[str, int]:
        return {
            "size": self._size,
            "queue_size": self._queue_size,
            "running": self._running,
            "waiting": self._waiting,
            "ready": self._ready.qsize(),
        }

    async def close(self) -> None:
        """Stop pre-warming, end the waiting sandboxes, remove the cgroups."""
        if self._refill_task is not None:
            self._refill_task.cancel()
            await asyncio.gather(self._refill_task, return_exceptions=True)
        while not self._ready.empty():
            await self._ready.get_nowait().close()
        if self.cgroups is not None:
            await asyncio.to_thread(self.cgroups.close)
