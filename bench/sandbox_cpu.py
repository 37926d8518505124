"""Where a sandbox's CPU goes: each step of starting one, alone, ``--runs`` times.

Run by hand as root (like the worker): ``.venv/bin/python -m bench.sandbox_cpu``. It
prints a table of CPU milliseconds per step (the children's, and the worker's own) and
wall milliseconds, for bench/RESULTS.md. A sandbox forked by the zygote is counted in
the zygote's CPU and its reaped descendants' (/proc/<zygote>/stat: 10 ms ticks, so take
enough runs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bot.sandbox.cgroups import Cgroups, set_up_cgroups
from bot.sandbox.isolation import Bubblewrap, _bubblewrap, interpreter
from bot.sandbox.limits import Limits
from bot.sandbox.process import JOIN_GROUPS, SandboxProcess


def cpu_ms() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime) * 1000, (children.ru_utime + children.ru_stime) * 1000


def row(label: str, runs: int, own: float, children: float, wall: float) -> str:
    return f"| {label} | {children / runs:.1f} | {own / runs:.1f} | {wall * 1000 / runs:.1f} |"


def measure(label: str, runs: int, step: Callable[[], None]) -> str:
    step()  # warm caches
    own0, children0 = cpu_ms()
    started = time.perf_counter()
    for _ in range(runs):
        step()
    own1, children1 = cpu_ms()
    return row(label, runs, own1 - own0, children1 - children0, time.perf_counter() - started)


def spawn(argv: list[str], fds: list[int] | None = None) -> None:
    subprocess.run(argv, pass_fds=fds or [], env={}, stdout=subprocess.DEVNULL, check=True)


def confined(isolation: Bubblewrap, code: str) -> Callable[[], None]:
    def step() -> None:
        argv, fds = isolation.wrap([interpreter(), "-I", "-S", "-c", code])
        try:
            spawn(argv, fds)
        finally:
            for fd in fds:
                os.close(fd)

    return step


def joined_group(cgroups: Cgroups, limits: Limits) -> Callable[[], None]:
    def step() -> None:
        group = cgroups.create(limits.pids, limits.socket_bytes)
        files = [str(f) for f in group.procs_files]
        spawn(["/bin/sh", "-c", JOIN_GROUPS, "sh", str(len(files)), *files, "true"])
        cgroups.retire(group)

    return step


def zygote_cpu_ms(isolation: Bubblewrap) -> float:
    """The zygote's CPU and its reaped descendants' (every sandbox it forked)."""
    zygote = isolation.runner_pid(isolation.zygote.pid) if isolation.zygote else 0
    if not zygote:
        return 0.0
    fields = Path(f"/proc/{zygote}/stat").read_text().rpartition(")")[2].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


async def whole_sandboxes(isolation: Bubblewrap, cgroups: Cgroups, runs: int, label: str) -> str:
    """Start, run print(1), reap: through the zygote if ``isolation`` has one, else with
    bubblewrap and an interpreter start per sandbox."""
    limits = Limits()

    async def one() -> None:
        sandbox = await SandboxProcess.start(isolation, cgroups, limits)
        await sandbox.run("print(1)", "", limits)

    await one()
    own0, children0 = cpu_ms()
    zygote0 = zygote_cpu_ms(isolation)
    started = time.perf_counter()
    for _ in range(runs):
        await one()
    own1, children1 = cpu_ms()
    children = children1 - children0 + zygote_cpu_ms(isolation) - zygote0
    return row(label, runs, own1 - own0, children, time.perf_counter() - started)


async def main(runs: int) -> None:
    limits = Limits()
    isolation = await _bubblewrap(limits, uids=2)
    cgroups = set_up_cgroups()
    python = [interpreter(), "-I", "-S", "-c"]
    print("| step | children's CPU ms | worker's CPU ms | wall ms |\n|---|---|---|---|")
    steps: dict[str, Callable[[], None]] = {
        "`/bin/sh -c true` (the shell that joins the cgroup)": lambda: spawn(
            ["/bin/sh", "-c", "true"]
        ),
        "bare `python -I -S -c pass`": lambda: spawn([*python, "pass"]),
        "`python -I -S -c 'import asyncio, ctypes'` (the runner's imports)": lambda: spawn(
            [*python, "import asyncio, ctypes"]
        ),
        "bwrap (namespaces, binds, seccomp) + `python -c pass`": confined(isolation, "pass"),
        "bwrap + `python -c 'import asyncio, ctypes'`": confined(
            isolation, "import asyncio, ctypes"
        ),
    }
    if cgroups is not None:
        steps["cgroup: create, the shell joins it, remove"] = joined_group(cgroups, limits)
    for label, step in steps.items():
        print(measure(label, runs, step), flush=True)
    if cgroups is not None:
        label = "a whole sandbox, forked by the zygote: start, run `print(1)`, reap"
        print(await whole_sandboxes(isolation, cgroups, runs, label), flush=True)
        zygote, isolation.zygote = isolation.zygote, None  # the path without one
        label = "a whole sandbox, bubblewrap + interpreter per sandbox (non-root path)"
        print(await whole_sandboxes(isolation, cgroups, runs, label))
        isolation.zygote = zygote
        cgroups.close()
    await isolation.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="of each step")
    asyncio.run(main(parser.parse_args().runs))
