"""Running a learner's code: the sandbox worker behind one small service.

Frontends never see the sandbox client: a run either returns a ``RunResult`` or raises
``CodeRunFailed`` whose message is written for the learner, so the Discord bot and the
console say the same thing when the worker is down, busy or refuses a snippet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from bot.curriculum.models import Course, Example
from bot.sandbox.client import SandboxBusy, SandboxError, SandboxRejected
from bot.sandbox.result import CheckResult as CheckResult
from bot.sandbox.result import GradeResult as GradeResult
from bot.sandbox.result import RunResult as RunResult

log = logging.getLogger(__name__)

DOWN = "The code runner is not available right now; everything else works. Try again later."
BUSY = "The code runner is busy with other students' code; try again in a few seconds."
HEALTH_EVERY_S = 30.0
HEALTH_TIMEOUT_S = 0.5


class Sandbox(Protocol):
    """What the core needs of ``bot.sandbox.client.SandboxClient`` (tests pass a fake)."""

    async def run(self, code: str, *, stdin: str = "", timeout_s: float | None = None) -> RunResult:
        """Run once in a fresh sandbox; raises ``SandboxError``."""

    async def grade(self, code: str, checks: str, *, timeout_s: float | None = None) -> GradeResult:
        """Grade code against an exercise's checks in a fresh sandbox."""

    async def health(self) -> dict[str, Any]:
        """Raises ``SandboxError`` unless the worker is healthy."""


T = TypeVar("T")


class CodeRunFailed(Exception):
    """The code could not be run; the message is fit to show the learner as is."""


class UnknownExample(LookupError):
    pass


class CodeRuns:
    def __init__(
        self,
        sandbox: Sandbox | None,
        course: Callable[[], Course],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sandbox = sandbox
        self._course = course
        self._monotonic = monotonic
        self._up = False
        self._checked_at: float | None = None
        self._python: tuple[int, int] | None = None

    async def run(self, code: str, stdin: str = "") -> RunResult:
        return await self._through_sandbox(lambda sandbox: sandbox.run(code, stdin=stdin))

    async def grade(self, code: str, checks: str) -> GradeResult:
        """An exercise's checks run against ``code``; the verdict comes from the sandbox."""
        return await self._through_sandbox(lambda sandbox: sandbox.grade(code, checks))

    async def _through_sandbox(self, call: Callable[[Sandbox], Awaitable[T]]) -> T:
        if self._sandbox is None:
            raise CodeRunFailed(DOWN)
        try:
            result = await call(self._sandbox)
        except SandboxBusy:
            raise CodeRunFailed(BUSY) from None
        except SandboxRejected as exc:
            raise CodeRunFailed(f"The code runner refused this: {exc}") from None
        except SandboxError as exc:
            log.warning("sandbox unavailable: %s", exc)
            self._up = False
            raise CodeRunFailed(DOWN) from None
        self._up = True
        return result

    def example(self, lesson_id: str, index: int = 0) -> Example:
        lesson = self._course().lesson(lesson_id)
        if lesson is None or not 0 <= index < len(lesson.examples):
            raise UnknownExample("That example is no longer in the course; see /lessons.")
        return lesson.examples[index]

    async def run_example(self, lesson_id: str, index: int = 0) -> RunResult:
        """A lesson's example, run for real (the "Run it" button)."""
        example = self.example(lesson_id, index)
        if not example.runnable:
            raise CodeRunFailed(
                "This example needs a package the code runner does not have; it is shown "
                "as text only."
            )
        needed = example.min_python
        if needed is not None:
            has = await self._worker_python()
            if has is not None and has < needed:
                raise CodeRunFailed(
                    f"This example needs Python {needed[0]}.{needed[1]}; the code runner "
                    f"has {has[0]}.{has[1]}."
                )
        return await self.run(example.code)

    async def _worker_python(self) -> tuple[int, int] | None:
        """The worker's Python (major, minor), from its health answer; None if unknown."""
        if self._python is None and self._sandbox is not None:
            try:
                self._note_health(await self._sandbox.health())
            except SandboxError:
                return None
        return self._python

    def _note_health(self, answer: dict[str, Any]) -> None:
        version = str(answer.get("python", ""))
        parts = version.split(".")
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            self._python = (int(parts[0]), int(parts[1]))

    async def available(self) -> bool:
        """Whether running code can work now: a health check at most every 30 s, so
        showing a "Run it" button never waits on a dead worker for long."""
        if self._sandbox is None:
            return False
        now = self._monotonic()
        if self._checked_at is not None and now - self._checked_at < HEALTH_EVERY_S:
            return self._up
        self._checked_at = now
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_S):
                self._note_health(await self._sandbox.health())
            self._up = True
        except (SandboxError, TimeoutError):
            log.warning("sandbox worker is not answering; running code is unavailable")
            self._up = False
        return self._up
