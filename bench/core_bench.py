"""Learning-core latency on a big database, SQLite and PostgreSQL side by side in one run.

Run by hand: ``.venv/bin/python -m bench.core_bench [--pg URL] [--write]``. Each engine
gets the same synthetic history: 10k learners with 1M review-log rows (guild 1), and a
second guild of 100k learners for the leaderboard. Every operation goes through the real
core; p50/p99 over 2,000 samples each. Without ``--pg`` a throwaway PostgreSQL server is
started on a free loopback port (as the tests do, but with fsync on). ``--write`` puts the table in
bench/RESULTS.md.
Targets: p99 < 5 ms per operation (PostgreSQL over loopback), leaderboard (top 10 + own
rank) < 10 ms at 100k learners on both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from fsrs import Card

from bench.results_file import write_section
from bot.core.context import Learner
from bot.core.flashcards import Grade
from bot.core.option_order import Shown
from bot.core.tutor import Tutor
from bot.curriculum import Course, load_course
from bot.storage import Database, board_totals
from bot.storage.sqlite import SqliteDatabase
from bot.storage.target import DatabaseTarget, PostgresUrl
from tests import postgres_server

GUILD, BIG_GUILD = 1, 2
USERS, BIG_USERS = 10_000, 100_000
REVIEWS = 1_000_000
CARDS_PER_USER = 60
ANSWERS_PER_USER = 20
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SAMPLES = 2000
P99_TARGET_MS, BOARD_TARGET_MS = 5.0, 10.0
Rows = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]


def synthetic_history(course: Course) -> Rows:
    """Table -> (columns, rows): the same rows for both engines."""
    rng = random.Random(7)
    now = NOW.timestamp()
    cards = [(c.id, c.lesson) for c in course.flashcards][:CARDS_PER_USER]
    questions = [q.id for q in course.questions]
    fsrs_json = Card(card_id=1, due=NOW).to_json()
    learners = [
        (guild, uid, f"user{uid}", rng.randint(0, 5000), now - rng.random() * 1e6, 0, 0, 0.0)
        for guild, users in ((GUILD, USERS), (BIG_GUILD, BIG_USERS))
        for uid in range(1, users + 1)
    ]
    weekly = [
        (guild, uid, "2026-W48", rng.randint(1, 500), now)
        for guild, users in ((GUILD, USERS), (BIG_GUILD, BIG_USERS))
        for uid in range(1, users + 1, 2)
    ]
    states = [
        (GUILD, uid, cid, lid, fsrs_json, now + rng.uniform(-86400 * 3, 86400 * 30), "2026-10-01")
        for uid in range(1, USERS + 1)
        for cid, lid in cards
    ]
    per_user = REVIEWS // USERS
    reviews = [
        (GUILD, uid, cards[i % len(cards)][0], rng.randint(1, 4), now - i, 2)
        for uid in range(1, USERS + 1)
        for i in range(per_user)
    ]
    answers = [
        (GUILD, uid, questions[i % len(questions)], "x", int(rng.random() < 0.7), now - i, 10)
        for uid in range(1, USERS + 1)
        for i in range(ANSWERS_PER_USER)
    ]
    return {
        "learners": (
            ("guild_id", "user_id", "display_name", "points", "points_at", "streak_current",
             "streak_best", "created_at"),
            learners,
        ),
        "weekly_points": (("guild_id", "user_id", "week", "points", "points_at"), weekly),
        "card_states": (
            ("guild_id", "user_id", "card_id", "lesson_id", "fsrs", "due", "introduced_day"),
            states,
        ),
        "review_log": (
            ("guild_id", "user_id", "card_id", "rating", "reviewed_at", "points"), reviews
        ),
        "quiz_answers": (
            ("guild_id", "user_id", "question_id", "lesson_id", "correct", "answered_at",
             "points"),
            answers,
        ),
    }  # fmt: skip


async def load(target: DatabaseTarget, rows: Rows) -> None:
    """Bulk-load (a benchmark set-up, not bot code): SQLite's executemany, PostgreSQL's
    COPY; the leaderboards' totals counted from the loaded rows (the load bypassed
    ``learners.add_points``, which keeps them); then the planner statistics each engine
    keeps."""
    db = await Database.open(target)
    try:
        if isinstance(db, SqliteDatabase):
            async with db.transaction() as conn:
                for table, (columns, values) in rows.items():
                    marks = ", ".join("?" * len(columns))
                    await conn.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values
                    )
                await board_totals.recount(conn)
            await db.fetchall("ANALYZE")
            return
        assert isinstance(target, PostgresUrl)
        conn = await asyncpg.connect(target.url)
        try:
            for table, (columns, values) in rows.items():
                await conn.copy_records_to_table(table, records=values, columns=list(columns))
            async with db.transaction() as counting:
                await board_totals.recount(counting)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
    finally:
        await db.close()


async def measure(op: Callable[[int], Awaitable[object]], users: int, seed: str) -> list[float]:
    times = []
    rng = random.Random(seed)
    for _ in range(SAMPLES):
        uid = rng.randint(1, users)
        start = time.perf_counter()
        await op(uid)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


async def run_ops(target: DatabaseTarget, course: Course) -> dict[str, list[float]]:
    clock_now = [NOW]
    tutor = await Tutor.open(target, course, lambda: clock_now[0])
    cards = [c.id for c in course.flashcards][:CARDS_PER_USER]
    try:

        def who(uid: int, guild: int = GUILD) -> Learner:
            return Learner(guild, uid, f"user{uid}")

        async def review(uid: int) -> None:
            clock_now[0] += timedelta(milliseconds=1)
            await tutor.flashcards.review(who(uid), cards[uid % len(cards)], Grade.good)

        async def answer(uid: int) -> None:
            q = course.questions[uid % len(course.questions)]
            await tutor.quiz.answer(who(uid), Shown.as_written(q), q.answer_index)

        def board(period: str, guild: int) -> Callable[[int], Awaitable[object]]:
            return lambda uid: tutor.progress.leaderboard(who(uid, guild), period)

        def due(uid: int) -> Awaitable[object]:
            return tutor.flashcards.next_card(who(uid))

        return {
            "next due card": await measure(due, USERS, "d"),
            "record a review": await measure(review, USERS, "r"),
            "record a quiz answer": await measure(answer, USERS, "a"),
            "leaderboard all-time, 10k learners": await measure(
                board("all-time", GUILD), USERS, "l"
            ),
            "leaderboard week, 10k learners": await measure(board("week", GUILD), USERS, "w"),
            "leaderboard all-time, 100k learners": await measure(
                board("all-time", BIG_GUILD), BIG_USERS, "L"
            ),
            "leaderboard week, 100k learners": await measure(
                board("week", BIG_GUILD), BIG_USERS, "W"
            ),
        }  # fmt: skip
    finally:
        await tutor.close()


@contextlib.contextmanager
def postgres(given: str | None) -> Iterator[PostgresUrl]:
    """A fresh database on the server given, or on a throwaway one."""
    with contextlib.ExitStack() as stack:
        server = given or stack.enter_context(postgres_server.throwaway_server(durable=True))
        yield stack.enter_context(postgres_server.fresh_database(server))


def p(times: list[float], q: float) -> float:
    return statistics.median(times) if q == 0.5 else times[int(len(times) * q)]


def table(results: dict[str, dict[str, list[float]]]) -> str:
    engines = list(results)
    head = "| operation | " + " | ".join(f"{e} p50 / p99 (ms)" for e in engines) + " | target |"
    lines = [head, "|---" * (len(engines) + 2) + "|"]
    for op in results[engines[0]]:
        target = BOARD_TARGET_MS if op.startswith("leaderboard") else P99_TARGET_MS
        cells = []
        for engine in engines:
            times = results[engine][op]
            worst = p(times, 0.99)
            mark = "" if worst < target else " **MISS**"
            cells.append(f"{p(times, 0.5):.2f} / {worst:.2f}{mark}")
        lines.append(f"| {op} | " + " | ".join(cells) + f" | p99 < {target:g} ms |")
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="a PostgreSQL server URL (default: a throwaway server)")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    course = load_course(Path("content"))
    rows = synthetic_history(course)
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as folder, postgres(args.pg) as pg_url:
        for engine, target in (("SQLite", Path(folder) / "bench.sqlite3"), ("PostgreSQL", pg_url)):
            start = time.perf_counter()
            await load(target, rows)
            print(f"{engine}: loaded in {time.perf_counter() - start:.1f} s", flush=True)
            results[engine] = await run_ops(target, course)
    report = table(results)
    print(report)
    if args.write:
        machine = f"{platform.node()}, {platform.machine()}, Python {platform.python_version()}"
        write_section(
            "## Core (learning core, SQLite and PostgreSQL side by side)",
            "## Core (learning core, SQLite and PostgreSQL side by side)\n"
            f"`.venv/bin/python -m bench.core_bench --write`: {datetime.now(UTC):%Y-%m-%d %H:%M} "
            f"UTC, {machine}. 10k learners / 1M reviews (guild 1), 100k learners (guild 2); "
            f"{SAMPLES} samples per operation, one after another; PostgreSQL over loopback "
            "(a throwaway server with PostgreSQL's default durability settings).\n\n"
            + report
            + "\n",
        )


if __name__ == "__main__":
    asyncio.run(main())
