"""Sandbox latency and throughput, against a bare interpreter start measured in the same run.

Run by hand (as root, like the worker): ``.venv/bin/python -m bench.sandbox_bench
[--write]``. It starts real workers (``python -m bot sandbox``) on free loopback ports,
once with pre-started sandboxes and once without, and measures:

- the bare start: ``python3.11 -I -S -c 'print(1)'`` with the real binary (no shim),
  and the same with a minimal asyncio program;
- the round trip of the same code through ``POST /run``, one request at a time with a
  short pause between requests (as when students press "Run"; the same pause is left
  between bare starts);
- throughput of trivial snippets with 1, 2, 4 and 8 concurrent clients, back to back,
  next to the throughput of bare interpreter starts at the same concurrency.

Targets (issue 13): p50 round trip of print(1) <= 1x the bare start; throughput >= 0.7x
the bare starts' at 2, 4 and 8 clients. ``--write`` puts the figures in
bench/RESULTS.md under "## Sandbox", leaving the other sections alone.
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
from typing import Any

from bench.results_file import write_section
from bot.sandbox.client import SandboxClient
from bot.sandbox.isolation import interpreter

HEADING = "## Sandbox"
SNIPPETS = ("print(1)", "import asyncio; asyncio.run(asyncio.sleep(0))")
CONCURRENCY = (1, 2, 4, 8)
DEFAULT = "pre-started sandboxes (default)"
WORKERS = {DEFAULT: os.cpu_count() or 1, "cold start per request": 0}  # --prewarm


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def bare_starts(code: str, count: int, pause_s: float) -> list[float]:
    """Milliseconds to start a bare interpreter, run ``code`` in it, and reap it."""
    samples = []
    for _ in range(count):
        await asyncio.sleep(pause_s)
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            interpreter(), "-I", "-S", "-c", code, stdout=asyncio.subprocess.DEVNULL
        )
        await process.wait()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def bare_throughput(concurrency: int, total: int) -> float:
    """Bare ``print(1)`` interpreter starts per second, ``concurrency`` at a time."""
    remaining = total

    async def spawner() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            process = await asyncio.create_subprocess_exec(
                interpreter(), "-I", "-S", "-c", SNIPPETS[0], stdout=asyncio.subprocess.DEVNULL
            )
            await process.wait()

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(spawner())
    return total / (time.perf_counter() - started)


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


async def round_trips(url: str, code: str, count: int, pause_s: float) -> list[float]:
    samples = []
    async with SandboxClient(url) as client:
        for _ in range(count + 10):
            await asyncio.sleep(pause_s)
            started = time.perf_counter()
            result = await client.run(code)
            samples.append((time.perf_counter() - started) * 1000)
            assert result.ok, result
    return samples[10:]  # the first ones warm up the connection and the pool


async def throughput(url: str, concurrency: int, total: int) -> float:
    """Snippets per second with ``concurrency`` clients sharing ``total`` runs."""
    remaining = total

    async def client_loop(client: SandboxClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            assert (await client.run(SNIPPETS[0])).ok

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


def isolation_summary(health: dict[str, Any]) -> str:
    isolation = health["isolation"]
    mode = "privileged" if isolation.get("privileged") else "unprivileged"
    namespaces = ", ".join(isolation.get("namespaces", []))
    return (
        f"{isolation['name']} ({mode}; namespaces {namespaces}; seccomp "
        f"{'on' if isolation.get('seccomp') else 'off'}), cgroups {health['cgroups'] or 'none'}"
    )


def milliseconds(samples: list[float]) -> str:
    return f"{statistics.median(samples):.1f} / {percentile(samples, 0.99):.1f} ms"


async def measure(samples: int, total: int, pause_s: float) -> str:
    bare = {code: await bare_starts(code, samples, pause_s) for code in SNIPPETS}
    trips: dict[str, dict[str, list[float]]] = {}
    rates: dict[str, list[float]] = {"bare interpreter starts": []}
    for label, prewarm in WORKERS.items():
        async with worker(prewarm) as url:
            async with SandboxClient(url) as client:
                health = await client.health()
            trips[label] = {
                code: await round_trips(url, code, samples, pause_s) for code in SNIPPETS
            }
            rates[label] = []
            for concurrency in CONCURRENCY:  # bare starts measured alongside, same load
                rates["bare interpreter starts"].append(await bare_throughput(concurrency, total))
                rates[label].append(await throughput(url, concurrency, total))
    bare_rates = [
        statistics.mean(rates["bare interpreter starts"][i :: len(CONCURRENCY)])
        for i in range(len(CONCURRENCY))
    ]
    rates["bare interpreter starts"] = bare_rates
    lines = [
        HEADING,
        f"`.venv/bin/python -m bench.sandbox_bench` — {date.today().isoformat()}, "
        f"{machine()}; worker running as {'root' if os.geteuid() == 0 else 'a user'}: "
        f"{isolation_summary(health)}.",
        "",
        f"Round trips, one at a time, {pause_s * 1000:.0f} ms apart, {samples} each (p50 / p99)."
        f" Bare start: `{interpreter()} -I -S -c CODE` (the real binary), in the same run.",
        "",
        "| snippet | bare start | " + " | ".join(WORKERS) + " | p50 / bare (pre-started) |",
        "|---|---|" + "---|" * len(WORKERS) + "---|",
    ]
    for code in SNIPPETS:
        cells = [milliseconds(trips[label][code]) for label in WORKERS]
        ratio = statistics.median(trips[DEFAULT][code]) / statistics.median(bare[code])
        lines.append(
            f"| `{code}` | {milliseconds(bare[code])} | {' | '.join(cells)} | {ratio:.2f}x |"
        )
    lines += [
        "",
        f"Throughput of `{SNIPPETS[0]}`, {total} snippets back to back (snippets/s):",
        "",
        "| worker | " + " | ".join(f"{c} client{'s' * (c > 1)}" for c in CONCURRENCY) + " |",
        "|---|" + "---|" * len(CONCURRENCY),
    ]
    for label, row in rates.items():
        lines.append(f"| {label} | " + " | ".join(f"{r:.0f}" for r in row) + " |")
    ratios = [rate / bare for rate, bare in zip(rates[DEFAULT], bare_rates, strict=True)]
    lines.append("| pre-started / bare | " + " | ".join(f"{ratio:.2f}x" for ratio in ratios) + " |")
    lines += [
        "",
        "Sandboxes are forked from a zygote that imported asyncio once (as root; see",
        "bot/sandbox/zygote.py): asyncio snippets answer as fast as print(1), and a sandbox",
        "costs a fork, its namespaces, mounts and seccomp filter, not an interpreter start",
        "(bench/sandbox_cpu.py has the CPU per step).",
        "",
        "Targets (issue 13): p50 round trip of print(1) <= 1x the bare start; throughput >=",
        "0.7x the bare starts' at 2, 4 and 8 clients (bare starts are measured at each",
        "concurrency alongside the worker, under the same load). A round trip is the HTTP",
        "request, the code handed to a waiting sandbox, the snippet's run and exit, and the",
        "answer.",
    ]
    return "\n".join(lines) + "\n"


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
        write_section(HEADING, section)


if __name__ == "__main__":
    main()
