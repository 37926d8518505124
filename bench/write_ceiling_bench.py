"""How many write transactions per second one database takes, SQLite and PostgreSQL side
by side in one run, from one and from two bot processes.

Run by hand: ``.venv/bin/python -m bench.write_ceiling_bench [--seconds 10] [--tasks 8]
[--pg URL]``. Each worker process opens the real core on the database and runs
``--tasks`` concurrent tasks, each recording quiz answers (one write transaction each,
as a student's click is) for learners of its own guild, for ``--seconds``; the workers
start together. Every write transaction holds the database's one write lock (SQLite's
``BEGIN IMMEDIATE``, PostgreSQL's advisory lock: docs/SCALING.md), so this is the
ceiling that lock puts on a whole deployment, and whether a second process raises it.
Without ``--pg`` a throwaway PostgreSQL server is started (default durability: fsync
on), as bench/core_bench.py does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.core_bench import postgres
from bot.core.context import Learner
from bot.core.option_order import Shown
from bot.core.tutor import Tutor
from bot.curriculum import load_course
from bot.ops.clock import system_clock
from bot.storage.target import DatabaseTarget, PostgresUrl, parse_target

LEARNERS_PER_TASK = 50


async def work(
    target: DatabaseTarget, worker: int, tasks: int, start_at: float, end_at: float
) -> tuple[int, float]:
    """Quiz answers recorded by this process between ``start_at`` and ``end_at``, and the
    CPU seconds it used meanwhile."""
    course = load_course(Path("content"))
    tutor = await Tutor.open(target, course, system_clock)
    done = 0

    async def task(number: int) -> None:
        nonlocal done
        guild = 1000 * (worker + 1) + number
        i = 0
        while time.time() < end_at:
            question = course.questions[i % len(course.questions)]
            who = Learner(guild, i % LEARNERS_PER_TASK, f"learner{i % LEARNERS_PER_TASK}")
            await tutor.quiz.answer(who, Shown.as_written(question), question.answer_index)
            done += 1
            i += 1

    try:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        cpu = time.process_time()
        await asyncio.gather(*(task(n) for n in range(tasks)))
        cpu = time.process_time() - cpu
    finally:
        await tutor.close()
    return done, cpu


async def measure(
    target: DatabaseTarget, processes: int, tasks: int, seconds: float
) -> tuple[float, list[float]]:
    """Transactions per second over all ``processes`` workers, and each one's CPU share."""
    setting = target.url if isinstance(target, PostgresUrl) else str(target)
    start_at = time.time() + 3.0  # every worker has opened the database by then
    end_at = start_at + seconds
    workers = []
    for n in range(processes):
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.write_ceiling_bench", "--worker", setting,
            str(n), str(tasks), repr(start_at), repr(end_at),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        workers.append(worker)
    reports = [(await w.communicate())[0].split() for w in workers]
    assert all(w.returncode == 0 for w in workers), "a worker failed"
    return sum(int(done) for done, _ in reports) / seconds, [
        float(cpu) / seconds for _, cpu in reports
    ]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tasks", type=int, default=8, help="concurrent tasks per process")
    parser.add_argument("--pg", help="a PostgreSQL server URL (default: a throwaway server)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.tasks} tasks per process")
    with tempfile.TemporaryDirectory() as folder, postgres(args.pg) as pg_url:
        for engine, target in (("SQLite", Path(folder) / "bench.sqlite3"), ("PostgreSQL", pg_url)):
            for processes in (1, 2):
                rate, cpu = await measure(target, processes, args.tasks, args.seconds)
                busy = " + ".join(f"{share:.2f}" for share in cpu)
                print(
                    f"{engine}, {processes} process(es): {rate:,.0f} write transactions/s "
                    f"(each process busy {busy} of the time)"
                )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def worker_main(argv: list[str]) -> None:
    setting, worker, tasks, start_at, end_at = argv
    target = parse_target(setting)
    done, cpu = asyncio.run(work(target, int(worker), int(tasks), float(start_at), float(end_at)))
    print(done, cpu)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker_main(sys.argv[2:])
    else:
        asyncio.run(main())
