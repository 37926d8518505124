"""What a caller may ask of the sandbox, checked before any process is started."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bot.sandbox.limits import Limits

FIELDS = ("code", "timeout_s", "stdin")


class InvalidRequest(ValueError):
    """The request is malformed; the message says what to fix."""


@dataclass(frozen=True)
class RunRequest:
    code: str
    stdin: str
    limits: Limits

    @classmethod
    def build(
        cls, code: Any, ceilings: Limits, stdin: Any = None, timeout_s: Any = None
    ) -> RunRequest:
        """Check types and sizes; a timeout above the ceiling is capped, not refused."""
        code = _text("code", code, ceilings.code_bytes)
        stdin = "" if stdin is None else _text("stdin", stdin, ceilings.stdin_bytes)
        if timeout_s is not None:
            if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float):
                raise InvalidRequest(f"'timeout_s' must be a number, got {_kind(timeout_s)}")
            # An int of any size compares with 0 exactly; math.isfinite would overflow.
            if timeout_s <= 0 or (isinstance(timeout_s, float) and not math.isfinite(timeout_s)):
                raise InvalidRequest("'timeout_s' must be a positive number of seconds")
        return cls(code, stdin, ceilings.lowered_to(timeout_s))

    @classmethod
    def from_json(cls, payload: Any, ceilings: Limits) -> RunRequest:
        if not isinstance(payload, dict):
            raise InvalidRequest(
                f"expected a JSON object with a 'code' string, got {_kind(payload)}"
            )
        unknown = sorted(set(payload) - set(FIELDS))
        if unknown:
            raise InvalidRequest(f"unknown field(s): {', '.join(unknown)}; expected {FIELDS}")
        if "code" not in payload:
            raise InvalidRequest("missing field 'code'")
        return cls.build(payload["code"], ceilings, payload.get("stdin"), payload.get("timeout_s"))


def _text(name: str, value: Any, max_bytes: int) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"'{name}' must be a string, got {_kind(value)}")
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        raise InvalidRequest(f"'{name}' is not valid Unicode (lone surrogate)") from None
    if size > max_bytes:
        raise InvalidRequest(f"'{name}' is {size} bytes; the limit is {max_bytes}")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
