"""What one snippet may use: the worker's ceilings, which a request may only lower."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class Limits:
    wall_s: float = 5.0
    memory_bytes: int = 128 * MIB
    socket_bytes: int = 16 * MIB  # cgroup v1 only: TCP/UDP buffers (v2 counts them as memory)
    pids: int = 64
    output_bytes: int = 64 * KIB  # per stream; the rest is read and dropped
    tmp_bytes: int = 16 * MIB
    file_bytes: int = 16 * MIB
    open_files: int = 256
    code_bytes: int = 64 * KIB
    stdin_bytes: int = 64 * KIB

    @property
    def cpu_s(self) -> int:
        """The CPU-time rlimit: whole seconds, never below the wall clock."""
        return max(1, math.ceil(self.wall_s))

    def lowered_to(self, timeout_s: float | None) -> Limits:
        """The limits for one request: a timeout can shorten the run, never extend it."""
        if timeout_s is None or timeout_s >= self.wall_s:
            return self
        return replace(self, wall_s=timeout_s)
