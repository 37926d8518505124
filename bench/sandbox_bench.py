"""Sandbox latency and throughput, against a bare interpreter start measured in the same run.

Run by hand (as root, like the worker): ``.venv/bin/python -m bench.sandbox_bench
[--write]``. It starts real workers (``python -m bot sandbox``) on free loopback ports,
once with pre-started sandboxes and once without, and measures:

- the bare start: ``python3.11 -I -S -c 'print(1)'`` with the real binary (no shim);
- the round trip of ``print(1)`` through ``POST /run``, one request at a time with a
  short pause between requests (as when students press "Run"; the same pause is left
  between bare starts);
- throughput of trivial snippets with 1, 2, 4 and 8 concurrent clients, back to back.

Targets: p50 round trip <= 2x the bare start; >= 20 snippets/s on 2 cores. Stretch:
pre-started sandboxes bring the round trip below a bare start. ``--write`` puts the
figures in bench/RESULTS.md under "## Sandbox", leaving the other sections alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from bot.sandbox.client import SandboxClient
from bot.sandbox.isolation import interpreter

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADING = "## Sandbox"
TRIVIAL = "print(1)"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def bare_starts(count: int, pause_s: float) -> list[float]:
    """Milliseconds to start, run print(1) in, and reap a bare interpreter."""
    samples = []
    for _ in range(count):
        await asyncio.sleep(pause_s)
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            interpreter(), "-I", "-S", "-c", TRIVIAL, stdout=asyncio.subprocess.DEVNULL
        )
        await process.wait()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def worker(prewarm: int) -> AsyncIterator[str]:
    """A real worker process, ready to serve, stopped with SIGTERM at the end."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--prewarm", str(prewarm),
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with SandboxClient(url, timeout_s=1) as client:
            for _ in range(100):
                try:
                    await client.health()
                    break
                except Exception:
                    await asyncio.sleep(0.1)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def round_trips(url: str, count: int, pause_s: float) -> list[float]:
    samples = []
    async with SandboxClient(url) as client:
        for _ in range(count + 10):
            await asyncio.sleep(pause_s)
            started = time.perf_counter()
            result = await client.run(TRIVIAL)
            samples.append((time.perf_counter() - started) * 1000)
            assert result.stdout == "1\n", result
    return samples[10:]  # the first ones warm up the connection and the pool


async def throughput(url: str, concurrency: int, total: int) -> float:
    """Snippets per second with ``concurrency`` clients sharing ``total`` runs."""
    remaining = total

    async def client_loop(client: SandboxClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            assert (await client.run(TRIVIAL)).ok

    async with SandboxClient(url) as client:
        started = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(client_loop(client))
        return total / (time.perf_counter() - started)


def machine() -> str:
    debian = Path("/etc/debian_version")
    system = f"Debian {debian.read_text().strip()}" if debian.exists() else platform.platform()
    return (
        f"{os.cpu_count()} CPUs, {system}, kernel {platform.release()}, "
        f"CPython {platform.python_version()}"
    )


async def measure(samples: int, total: int, pause_s: float) -> str:
    bare = await bare_starts(samples, pause_s)
    bare_p50 = statistics.median(bare)
    lines = [
        HEADING,
        f"`.venv/bin/python -m bench.sandbox_bench` — {date.today().isoformat()}, "
        f"{machine()}, run as root (privileged bubblewrap, cgroups, seccomp).",
        "",
        f"Bare interpreter start (`{interpreter()} -I -S -c 'print(1)'`, {samples} runs, "
        f"{pause_s * 1000:.0f} ms apart like the round trips): "
        f"p50 {bare_p50:.1f} ms, p99 {percentile(bare, 0.99):.1f} ms.",
        "",
        "| worker | p50 round trip | p99 | p50 / bare start | "
        "snippets/s at 1 | 2 | 4 | 8 clients |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, prewarm in (
        ("pre-started sandboxes (default)", os.cpu_count() or 1),
        ("cold start per request", 0),
    ):
        async with worker(prewarm) as url:
            trips = await round_trips(url, samples, pause_s)
            rates = [await throughput(url, c, total) for c in (1, 2, 4, 8)]
        p50 = statistics.median(trips)
        rate_cells = " | ".join(f"{rate:.0f}" for rate in rates)
        lines.append(
            f"| {label} | {p50:.1f} ms | {percentile(trips, 0.99):.1f} ms | "
            f"{p50 / bare_p50:.2f}x | {rate_cells} |"
        )
    lines += [
        "",
        "Targets: p50 round trip <= 2x the bare start; >= 20 snippets/s on 2 cores; stretch:",
        "below a bare start with pre-started sandboxes. A round trip is the HTTP request, the",
        "code sent to a sandbox, the snippet's fork and run, its report, and the answer.",
    ]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    """Replace (or add) the Sandbox section, keeping every other section as it is."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(f"\n{HEADING}\n")
    if start == -1:
        RESULTS.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + 1)
    rest = "" if end == -1 else text[end:]
    RESULTS.write_text(text[: start + 1] + section + rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="round trips measured")
    parser.add_argument("--total", type=int, default=200, help="snippets per throughput run")
    parser.add_argument("--pause-ms", type=float, default=50, help="between round trips")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    section = asyncio.run(measure(args.samples, args.total, args.pause_ms / 1000))
    print(section)
    if args.write:
        write_section(section)


if __name__ == "__main__":
    main()
