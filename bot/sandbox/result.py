"""The outcome of one snippet (``POST /run``) or one graded exercise (``POST /grade``):
what the worker answers and what the client returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class RunResult:
    """``exit_code`` is the snippet's exit status, -N if signal N ended it (as in
    ``subprocess``), or None when the sandbox stopped it (time or memory limit).
    ``cpu_ms`` and ``peak_memory_kb`` count the snippet and its children, not the
    interpreter's start-up."""

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool
    memory_exceeded: bool
    output_truncated: bool
    wall_ms: float
    cpu_ms: float
    peak_memory_kb: int

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> RunResult:
        """Rebuild a result from the worker's JSON; ValueError if it does not match."""
        return cls(**_fields_of(cls, data))


@dataclass(frozen=True)
class CheckResult:
    """One check of an exercise (as Exercism's test runner reports a test): ``status``
    pass, fail or error; ``message`` what to fix; ``output`` what the student's code
    printed during it (capped)."""

    name: str
    status: str
    message: str
    output: str

    @classmethod
    def from_json(cls, data: Any) -> CheckResult:
        return cls(**_fields_of(cls, data))


@dataclass(frozen=True)
class GradeResult:
    """``status`` pass (every check passed), fail, or error (no check could run, e.g. a
    SyntaxError; ``message`` points at the student's line)."""

    status: str
    message: str
    tests: tuple[CheckResult, ...]
    wall_ms: float

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tests": [asdict(test) for test in self.tests]}

    @classmethod
    def from_json(cls, data: Any) -> GradeResult:
        if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
            raise ValueError("expected a JSON object with a list of tests")
        values = _fields_of(cls, {**data, "tests": ""})
        tests = tuple(CheckResult.from_json(test) for test in data["tests"])
        return cls(**{**values, "tests": tests})


def _fields_of(cls: Any, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    values = {}
    for f in fields(cls):
        if f.name not in data:
            raise ValueError(f"missing field {f.name!r}")
        values[f.name] = (
            data[f.name] if f.name == "tests" else _checked(f.name, f.type, data[f.name])
        )
    return values


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "int": (int,),
    "int | None": (int, type(None)),
    "float": (int, float),
}


def _checked(name: str, type_name: Any, value: Any) -> Any:
    allowed = _TYPES[str(type_name)]
    if isinstance(value, bool) and bool not in allowed:
        raise ValueError(f"field {name!r} must be {type_name}, got a boolean")
    if not isinstance(value, allowed):
        raise ValueError(f"field {name!r} must be {type_name}, got {type(value).__name__}")
    if type_name == "float" and isinstance(value, int | float):  # always, once allowed
        return float(value)
    return value
