"""Grading a submission: the request, the grader program sent into a sandbox, and the
verdict read back from it.

A grading is an ordinary sandbox run (same pool, isolation and limits as ``/run``)
whose code is the grader (grader.py, with the kit and the checks) and whose stdin is
the student's code. Only the grader writes to the sandbox's stdout; if what comes out
is not a well-formed verdict (the grader was killed, the sandbox timed out), the
result is ``error``, never ``pass``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.sandbox import check_kit, grader
from bot.sandbox.limits import KIB, Limits
from bot.sandbox.pool import SandboxPool
from bot.sandbox.request import InvalidRequest, RunRequest
from bot.sandbox.result import GradeResult, RunResult

log = logging.getLogger(__name__)

GRADER_SOURCE = Path(grader.__file__).read_text()
KIT_SOURCE = Path(check_kit.__file__).read_text()
CHECKS_BYTES = 32 * KIB
FIELDS = ("code", "checks", "timeout_s")
# Of the sandbox's wall clock, what the grader may spend on checks: the rest covers
# its own start and writing the verdict, so a slow check is reported, not cut off.
GRADER_SHARE = 0.9


@dataclass(frozen=True)
class GradeRequest:
    code: str
    checks: str
    limits: Limits

    @classmethod
    def build(cls, code: Any, checks: Any, ceilings: Limits, timeout_s: Any = None) -> GradeRequest:
        """Check types and sizes (as ``RunRequest``, whose rules the code follows)."""
        run = RunRequest.build(code, ceilings, None, timeout_s)
        if not isinstance(checks, str):
            raise InvalidRequest(f"'checks' must be a string, got {type(checks).__name__}")
        if len(checks.encode(errors="surrogatepass")) > CHECKS_BYTES:
            raise InvalidRequest(f"'checks' is over {CHECKS_BYTES} bytes")
        return cls(run.code, checks, run.limits)

    @classmethod
    def from_json(cls, payload: Any, ceilings: Limits) -> GradeRequest:
        if not isinstance(payload, dict):
            raise InvalidRequest("expected a JSON object with 'code' and 'checks' strings")
        unknown = sorted(set(payload) - set(FIELDS))
        if unknown:
            raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}; expected {FIELDS}")
        for name in ("code", "checks"):
            if name not in payload:
                raise InvalidRequest(f"missing field '{name}'")
        return cls.build(payload["code"], payload["checks"], ceilings, payload.get("timeout_s"))

    def as_run(self) -> RunRequest:
        """The sandbox run that grades: the grader as code, the submission as stdin."""
        budget_s = self.limits.wall_s * GRADER_SHARE
        call = f"\ngrade({KIT_SOURCE!r}, {self.checks!r}, {budget_s!r})\n"
        return RunRequest(GRADER_SOURCE + call, self.code, self.limits)


async def grade(pool: SandboxPool, request: GradeRequest) -> GradeResult:
    """Grade in one sandbox of ``pool`` (PoolBusy and SandboxStartError as ``pool.run``)."""
    return verdict(await pool.run(request.as_run()), request.limits)


def verdict(run: RunResult, limits: Limits) -> GradeResult:
    """The grader's verdict from its sandbox run, or an ``error`` saying why none came."""
    try:
        found = json.loads(run.stdout)
        found["wall_ms"] = run.wall_ms
        return GradeResult.from_json(found)
    except (ValueError, TypeError) as exc:
        reason = str(exc)
    if run.timed_out:
        message = f"grading took longer than {limits.wall_s:g} s"
    elif run.memory_exceeded:
        message = f"grading ran out of memory ({limits.memory_bytes // (1 << 20)} MiB)"
    else:
        tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
        log.error("the grader gave no verdict (%s; exit %s): %s", reason, run.exit_code, tail)
        message = f"the grader failed (exit {run.exit_code}): {tail}"
    return GradeResult("error", message, (), run.wall_ms)
