"""The outcome of one snippet: what ``POST /run`` answers and what the client returns."""

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
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        values = {}
        for f in fields(cls):
            if f.name not in data:
                raise ValueError(f"missing field {f.name!r}")
            values[f.name] = _checked(f.name, f.type, data[f.name])
        return cls(**values)


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
