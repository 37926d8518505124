"""What the bot uses to run code: an aiohttp client for the sandbox worker.

Every failure is a ``SandboxError`` subclass with a message fit for logs, so callers
need one ``except`` to keep the bot working while the worker is down or busy::

    async with SandboxClient("http://127.0.0.1:8060") as sandbox:
        result = await sandbox.run("print(1)", stdin="", timeout_s=5)
"""

from __future__ import annotations

import asyncio
import random
from types import TracebackType
from typing import Any

import aiohttp

from bot.sandbox.result import GradeResult, RunResult

# A run takes at most its wall-clock limit (5 s) once it has a slot; the rest covers
# waiting in the worker's queue.
DEFAULT_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 3.0
# A class submitting at once fills the worker's queue: a grading refused as busy is
# asked again after a growing, jittered pause, for up to this long in all.
BUSY_RETRY_S = 30.0
FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 1.0


class SandboxError(Exception):
    """The snippet could not be run; the message says why."""


class SandboxUnavailable(SandboxError):
    """The worker is down, unreachable, too slow, or answered nonsense."""


class SandboxBusy(SandboxError):
    """The worker is at capacity (HTTP 503): try again in a few seconds."""


class SandboxRejected(SandboxError):
    """The worker refused the request (HTTP 4xx), e.g. code over the size limit."""


class SandboxClient:
    def __init__(self, url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.url = url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s, connect=CONNECT_TIMEOUT_S)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SandboxClient:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def run(self, code: str, *, stdin: str = "", timeout_s: float | None = None) -> RunResult:
        """Run ``code`` once in a fresh sandbox; ``timeout_s`` can only shorten the
        worker's limit."""
        payload: dict[str, Any] = {"code": code, "stdin": stdin}
        if timeout_s is not None:
            payload["timeout_s"] = timeout_s
        answer = await self._request("POST", "/run", payload)
        try:
            return RunResult.from_json(answer)
        except ValueError as exc:
            raise SandboxUnavailable(f"the sandbox worker answered oddly: {exc}") from exc

    async def grade(self, code: str, checks: str, *, timeout_s: float | None = None) -> GradeResult:
        """Grade ``code`` against an exercise's ``checks`` in a fresh sandbox. A busy
        worker (503) is asked again with backoff for up to BUSY_RETRY_S, so a class
        submitting in the same second is graded rather than refused."""
        payload: dict[str, Any] = {"code": code, "checks": checks}
        if timeout_s is not None:
            payload["timeout_s"] = timeout_s
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + BUSY_RETRY_S
        backoff = FIRST_BACKOFF_S
        while True:
            try:
                answer = await self._request("POST", "/grade", payload)
                break
            except SandboxBusy:
                if loop.time() + backoff > give_up_at:
                    raise
            await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
            backoff = min(MAX_BACKOFF_S, backoff * 2)
        try:
            return GradeResult.from_json(answer)
        except ValueError as exc:
            raise SandboxUnavailable(f"the sandbox worker answered oddly: {exc}") from exc

    async def health(self) -> dict[str, Any]:
        """The worker's self-description; raises SandboxError if it is not healthy."""
        answer = await self._request("GET", "/health", None)
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            raise SandboxUnavailable(f"the sandbox worker is not healthy: {answer!r}")
        return answer

    async def _request(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        if self._session is None:
            raise RuntimeError("use SandboxClient in 'async with'")
        try:
            async with self._session.request(method, self.url + path, json=payload) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            reason = str(exc) or type(exc).__name__
            raise SandboxUnavailable(
                f"the sandbox worker at {self.url} is not answering: {reason}"
            ) from exc
        if status == 200:
            return answer
        message = answer.get("error") if isinstance(answer, dict) else None
        message = message or f"HTTP {status}"
        if status == 503:
            raise SandboxBusy(message)
        if 400 <= status < 500:
            raise SandboxRejected(message)
        raise SandboxUnavailable(f"the sandbox worker failed: {message}")
