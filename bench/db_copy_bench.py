"""Peak memory of ``python -m bot db copy`` (SQLite into PostgreSQL), before and after.

Run by hand: ``.venv/bin/python -m bench.db_copy_bench [--before REF] [--pg URL]
[--write]``. One SQLite database is built with core_bench's synthetic history (10k
learners with 1M review-log rows in guild 1, 100k learners in guild 2). Then ``db copy``
runs as a child process into a fresh PostgreSQL database, once with the code of REF
(default ``main``, exported with ``git archive`` into a temporary folder) and once with
this working tree's, one after the other; the child's peak RSS is the kernel's
``ru_maxrss``, read by ``/usr/bin/time``. Without ``--pg`` a throwaway
PostgreSQL server is started on a free loopback port (fsync off: memory is the
figure). ``--write`` puts the table in bench/RESULTS.md. Memory does not depend on the
machine's load; the wall times do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.core_bench import BIG_USERS, REVIEWS, USERS, load, synthetic_history
from bench.results_file import write_section
from bot.curriculum import load_course
from bot.storage.target import PostgresUrl
from tests import postgres_server

ROOT = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"  # GNU time (Debian's package "time"): %M is the peak RSS in KiB


@dataclass(frozen=True)
class CopyRun:
    code: str  # what ran: a ref and its commit
    peak_rss_mib: float
    seconds: float
    last_line: str


def commit_of(ref: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def export(ref: str, into: Path) -> Path:
    """The tree of ``ref``, as files (the shared repository is left untouched)."""
    into.mkdir()
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def run_copy(tree: Path, label: str, source: Path, target: PostgresUrl) -> CopyRun:
    """``db copy`` with the code in ``tree`` (first on sys.path: run from there), under
    ``/usr/bin/time``: a child's ``ru_maxrss`` starts at the high-water mark of the
    process that forked it (Linux keeps it across exec), and this one built the history,
    so ``time`` (small) forks the copy instead."""
    peak = Path(tempfile.mkstemp(prefix="db-copy-rss-")[1])
    argv = [TIME, "-f", "%M", "-o", str(peak), sys.executable, "-m", "bot", "db", "copy"]
    env = {**os.environ, "PYTHONPATH": str(tree), "TUTOR_DB": str(source)}
    start = time.perf_counter()
    done = subprocess.run(
        [*argv, str(source), target.url], cwd=tree, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{label}: db copy exited {done.returncode}:\n{done.stderr}")
    kib = int(peak.read_text().split()[-1])
    peak.unlink()
    return CopyRun(label, kib / 1024, seconds, done.stdout.strip().splitlines()[-1])


def table(runs: list[CopyRun]) -> str:
    lines = ["| code | peak RSS of `db copy` | wall time | its last line |", "|---|---|---|---|"]
    lines += [
        f"| {r.code} | {r.peak_rss_mib:,.0f} MiB | {r.seconds:.0f} s | {r.last_line} |"
        for r in runs
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="main", help="the git ref to compare with")
    parser.add_argument("--pg", help="a PostgreSQL server URL (default: a throwaway server)")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "school.sqlite3"
        start = time.perf_counter()
        asyncio.run(load(source, synthetic_history(load_course(ROOT / "content"))))
        size = source.stat().st_size / 2**20
        print(f"source built in {time.perf_counter() - start:.0f} s: {size:,.0f} MiB", flush=True)
        before = export(args.before, Path(folder) / "before")
        codes = [
            (before, f"before: {args.before} {commit_of(args.before)}"),
            (ROOT, f"after: {commit_of('HEAD')} (this tree)"),
        ]
        runs = []
        with contextlib.ExitStack() as stack:
            server = args.pg or stack.enter_context(postgres_server.throwaway_server())
            for tree, label in codes:
                with postgres_server.fresh_database(server) as target:
                    runs.append(run_copy(tree, label, source, target))
                    print(runs[-1], flush=True)
    report = table(runs)
    print(report)
    if args.write:
        machine = f"{platform.node()}, {platform.machine()}, Python {platform.python_version()}"
        write_section(
            "## db copy memory (SQLite into PostgreSQL, before and after streaming)",
            "## db copy memory (SQLite into PostgreSQL, before and after streaming)\n"
            "`.venv/bin/python -m bench.db_copy_bench --write`: "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}. Source: core_bench's "
            "synthetic history in SQLite "
            f"({size:,.0f} MiB file: {USERS + BIG_USERS:,} learners, {REVIEWS:,} review-log "
            "rows, with their card states and quiz answers), copied into a fresh database of "
            "a throwaway PostgreSQL server on loopback (fsync off, as in the tests); each "
            "`db copy` a child process, its peak RSS (`ru_maxrss`) read by `/usr/bin/time`. "
            "Wall times are noisy: other helpers shared the 2 cores.\n\n" + report + "\n",
        )


if __name__ == "__main__":
    main()
