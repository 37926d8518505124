"""Grading latency and a class's burst, against ``/run print(1)`` and a bare interpreter
start measured in the same run.

Run by hand (as root, like the worker): ``.venv/bin/python -m bench.exercise_bench
[--write]``. It starts a real worker (``python -m bot sandbox``, default settings) on a
free loopback port and measures:

- the bare start (``python -I -S -c 'print(1)'``, the real binary) and ``POST /run``
  ``print(1)``, one at a time, as in bench/sandbox_bench.py;
- ``POST /grade`` of a passing solution of a typical exercise (its checks as in the
  course), one at a time, then with 8 submissions in flight at once (8 clients back to
  back), latency per grading;
- a class: 30 submissions spread over one second, each through ``SandboxClient.grade``
  (which retries a busy worker's 503 with backoff): every one graded, and when the last
  verdict came.

Targets (issue 14): grading p50 <= 10x the bare start; the 30 submissions all graded
within 5 s on 2 cores. ``--write`` puts the figures in bench/RESULTS.md under
"## Exercises", leaving the other sections alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import date
from pathlib import Path

from bench.results_file import write_section
from bench.sandbox_bench import (
    bare_starts,
    isolation_summary,
    machine,
    milliseconds,
    round_trips,
    worker,
)
from bot.curriculum import load_course
from bot.sandbox.client import SandboxClient
from bot.sandbox.isolation import interpreter
from bot.sandbox.result import GradeResult

HEADING = "## Exercises"
EXERCISE = "bounded-downloads"  # three checks, a semaphore, five fake downloads each
CLASS_SIZE = 30
CLASS_SPREAD_S = 1.0


async def gradings(url: str, code: str, checks: str, count: int, pause_s: float) -> list[float]:
    samples = []
    async with SandboxClient(url) as client:
        for _ in range(count + 5):
            await asyncio.sleep(pause_s)
            started = time.perf_counter()
            result = await client.grade(code, checks)
            samples.append((time.perf_counter() - started) * 1000)
            assert result.status == "pass", result
    return samples[5:]


async def concurrent_gradings(
    url: str, code: str, checks: str, clients: int, total: int
) -> list[float]:
    """Latency of each grading with ``clients`` submissions always in flight."""
    samples: list[float] = []
    remaining = total

    async def client_loop(client: SandboxClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            result = await client.grade(code, checks)
            samples.append((time.perf_counter() - started) * 1000)
            assert result.status == "pass", result

    async with SandboxClient(url) as client, asyncio.TaskGroup() as group:
        for _ in range(clients):
            group.create_task(client_loop(client))
    return samples


async def class_burst(url: str, code: str, checks: str) -> tuple[list[GradeResult], float]:
    """30 students submit within one second; seconds from the first submission to the
    last verdict."""

    async def student(client: SandboxClient, n: int) -> GradeResult:
        await asyncio.sleep(n * CLASS_SPREAD_S / CLASS_SIZE)
        return await client.grade(code, checks)

    async with SandboxClient(url) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(student(client, n) for n in range(CLASS_SIZE)))
        return list(results), time.perf_counter() - started


async def measure(samples: int, total: int, pause_s: float) -> str:
    exercise = load_course(Path("content")).exercise(EXERCISE)
    assert exercise is not None
    code, checks = exercise.solution, exercise.checks
    load = os.getloadavg()[0]
    bare = await bare_starts("print(1)", samples, pause_s)
    async with worker(os.cpu_count() or 1) as url:
        async with SandboxClient(url) as client:
            health = await client.health()
        runs = await round_trips(url, "print(1)", samples, pause_s)
        one_at_a_time = await gradings(url, code, checks, samples, pause_s)
        eight = await concurrent_gradings(url, code, checks, 8, total)
        burst, burst_s = await class_burst(url, code, checks)
    graded = sum(r.status == "pass" for r in burst)
    ratio = statistics.median(one_at_a_time) / statistics.median(bare)
    lines = [
        HEADING,
        f"`.venv/bin/python -m bench.exercise_bench` — {date.today().isoformat()}, "
        f"{machine()}; worker (default settings: {health['pool']['size']} slots, queue "
        f"{health['pool']['queue_size']}, {health['pool']['prewarm']} pre-started) running as "
        f"{'root' if os.geteuid() == 0 else 'a user'}: {isolation_summary(health)}. The",
        "machine was shared with other sessions' builds and tests while this ran (load",
        f"average {load:.1f} at the start, on {os.cpu_count()} cores): the figures are noisy,",
        "and slower than on an idle machine.",
        "",
        f"Grading `{EXERCISE}`'s solution (3 checks: a child process per check, a",
        "virtual-time loop, five fake downloads each), p50 / p99:",
        "",
        "| what | p50 / p99 |",
        "|---|---|",
        f"| bare start `{interpreter()} -I -S -c 'print(1)'` | {milliseconds(bare)} |",
        f"| `POST /run` `print(1)` | {milliseconds(runs)} |",
        f"| `POST /grade`, one at a time ({samples}, {pause_s * 1000:.0f} ms apart) | "
        f"{milliseconds(one_at_a_time)} |",
        f"| `POST /grade`, 8 in flight ({total} in all), per grading | {milliseconds(eight)} |",
        "",
        f"Grading p50 = {ratio:.1f}x the bare start (target <= 10x).",
        "",
        f"A class: {CLASS_SIZE} submissions spread over {CLASS_SPREAD_S:g} s through "
        f"`SandboxClient.grade`: {graded} of {CLASS_SIZE} graded (pass), the last verdict "
        f"{burst_s:.2f} s after the first submission (target: all within 5 s). The worker's",
        "queue holds fewer than 30: the rest are refused with 503 and the client asks again",
        "with jittered backoff (50 ms doubling to 1 s, for up to 30 s).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100, help="one-at-a-time measures")
    parser.add_argument("--total", type=int, default=100, help="gradings with 8 in flight")
    parser.add_argument("--pause-ms", type=float, default=50, help="between one-at-a-time ones")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    section = asyncio.run(measure(args.samples, args.total, args.pause_ms / 1000))
    print(section)
    if args.write:
        write_section(HEADING, section)


if __name__ == "__main__":
    main()
