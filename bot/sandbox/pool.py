"""Bounded concurrency: a few snippets at a time, a short queue, and sandboxes started
ahead of time so that a request only pays for running its code.

Past the queue a request is refused at once (``PoolBusy``) rather than left to wait
behind a minute of five-second snippets. A pre-started sandbox is replaced when its run
ends (a start competing with the run would slow it down), in parallel with the other
replacements, and at idle CPU priority (see process.py).
"""

from __future__ import annotations

import asyncio
import collections
import logging

from bot.sandbox.cgroups import Cgroups, set_up_cgroups
from bot.sandbox.isolation import Isolation, IsolationUnavailable, choose_isolation
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
        self._ready: collections.deque[SandboxProcess] = collections.deque()
        self._prewarm_budget = asyncio.Semaphore(prewarm)  # ready + starting
        self._prewarm = prewarm
        self._starting: set[asyncio.Task[None]] = set()
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
        isolation = await choose_isolation(limits, unsafe_dev, uids=size + prewarm)
        cgroups = await asyncio.to_thread(set_up_cgroups)
        if cgroups is None:
            log.warning("no writable cgroup memory/pids controllers: rlimits only")
        pool = cls(isolation, cgroups, limits, size, queue_size, prewarm)
        if isolation.zygote is not None:
            await pool._probe_zygote()
        if prewarm:
            pool._refill_task = asyncio.create_task(pool._refill(), name="sandbox-prewarm")
        return pool

    async def _probe_zygote(self) -> None:
        """One sandbox from the zygote, so a host where it cannot make one (namespaces,
        mounts, seccomp refused) is caught at start-up, not on a student's first run."""
        try:
            sandbox = await self._start()
            result = await sandbox.run("pass", "", self.limits)
            if result.exit_code != 0:
                raise SandboxStartError(f"a trial snippet ended with {result.exit_code}")
        except SandboxStartError as exc:
            await self.close()
            raise IsolationUnavailable(f"the zygote cannot make sandboxes here: {exc}") from exc

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
            sandbox = await self._take_prestarted()
            if sandbox is None:
                return await (await self._start()).run(request.code, request.stdin, request.limits)
            try:
                return await sandbox.run(request.code, request.stdin, request.limits)
            finally:  # replaced only now: starting one during the run would slow it down
                self._prewarm_budget.release()
        finally:
            self._running -= 1
            self._slots.release()

    async def _take_prestarted(self) -> SandboxProcess | None:
        """A pre-started sandbox that is still alive, if one is waiting."""
        while self._ready:
            sandbox = self._ready.popleft()
            if sandbox.alive:
                return sandbox
            self._prewarm_budget.release()
            await sandbox.close()
        return None

    async def _start(self, background: bool = False) -> SandboxProcess:
        return await SandboxProcess.start(
            self.isolation, self.cgroups, self.limits, background=background
        )

    async def _refill(self) -> None:
        """Keep ``prewarm`` sandboxes ready or starting."""
        while True:
            await self._prewarm_budget.acquire()
            task = asyncio.create_task(self._prestart(), name="sandbox-prestart")
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _prestart(self) -> None:
        try:
            self._ready.append(await self._start(background=True))
        except Exception:  # a background task: report, wait, let the refill try again
            log.exception("cannot pre-start a sandbox")
            await asyncio.sleep(RETRY_AFTER_FAILED_START_S)
            self._prewarm_budget.release()

    def stats(self) -> dict[str, int]:
        return {
            "size": self._size,
            "queue_size": self._queue_size,
            "running": self._running,
            "waiting": self._waiting,
            "prewarm": self._prewarm,
            "ready": len(self._ready),
        }

    async def close(self) -> None:
        """Stop pre-warming, end the waiting sandboxes, remove the cgroups, give back
        the uids."""
        tasks = [t for t in (self._refill_task, *self._starting) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        while self._ready:
            await self._ready.popleft().close()
        if self.cgroups is not None:
            await asyncio.to_thread(self.cgroups.close)
        await self.isolation.close()
