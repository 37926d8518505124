"""Several sandbox workers behind one client (``TUTOR_SANDBOX_URL=http://a,http://b``).

Runs are spread over the workers (the one with the fewest requests in flight), a busy
(503) or unreachable worker is skipped for another, and one that failed to answer is left
alone for ``DOWN_FOR_S`` before it is tried again. So a worker dying in the middle of a
class loses no run: what it was running is run again elsewhere (a sandboxed run has no
effect outside itself, so running it twice is safe).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from bot.sandbox.client import (
    DEFAULT_TIMEOUT_S,
    SandboxBusy,
    SandboxClient,
    SandboxError,
    SandboxUnavailable,
)
from bot.sandbox.result import GradeResult, RunResult

DOWN_FOR_S = 30.0
T = TypeVar("T")


@dataclass
class _Worker:
    client: SandboxClient
    in_flight: int = 0
    down_until: float = 0.0


class SandboxWorkers:
    """The same calls as ``SandboxClient`` (run, grade, health), over every worker."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("no sandbox worker URL")
        self._workers = [_Worker(SandboxClient(url, timeout_s=timeout_s)) for url in urls]
        self._monotonic = monotonic

    async def __aenter__(self) -> SandboxWorkers:
        for worker in self._workers:
            await worker.client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for worker in self._workers:
            await worker.client.__aexit__(exc_type, exc, traceback)

    async def run(self, code: str, *, stdin: str = "", timeout_s: float | None = None) -> RunResult:
        return await self._spread(lambda c: c.run(code, stdin=stdin, timeout_s=timeout_s))

    async def grade(self, code: str, checks: str, *, timeout_s: float | None = None) -> GradeResult:
        return await self._spread(lambda c: c.grade(code, checks, timeout_s=timeout_s))

    async def health(self) -> dict[str, Any]:
        """The first healthy worker's answer, with how many of them are up."""
        up: list[dict[str, Any]] = []
        problem: SandboxError | None = None
        for worker in self._workers:
            try:
                up.append(await worker.client.health())
            except SandboxError as exc:
                problem = exc
                worker.down_until = self._monotonic() + DOWN_FOR_S
        if not up:
            raise problem or SandboxUnavailable("no sandbox worker")
        return {**up[0], "workers_up": len(up), "workers": len(self._workers)}

    async def _spread(self, call: Callable[[SandboxClient], Awaitable[T]]) -> T:
        tried: set[int] = set()
        problem: SandboxError = SandboxUnavailable("no sandbox worker")
        while (index := self._pick(tried)) is not None:
            tried.add(index)
            worker = self._workers[index]
            worker.in_flight += 1
            try:
                return await call(worker.client)
            except SandboxBusy as exc:
                problem = exc
            except SandboxUnavailable as exc:
                problem = exc
                worker.down_until = self._monotonic() + DOWN_FOR_S
            finally:
                worker.in_flight -= 1
        raise problem

    def _pick(self, tried: set[int]) -> int | None:
        """The least busy worker not tried yet, those believed up first."""
        now = self._monotonic()
        left = [i for i in range(len(self._workers)) if i not in tried]
        if not left:
            return None
        return min(
            left,
            key=lambda i: (self._workers[i].down_until > now, self._workers[i].in_flight, i),
        )
