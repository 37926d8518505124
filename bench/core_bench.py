"""Learning-core latency on a big database: 10k learners, 1M review-log rows.

Run by hand: ``.venv/bin/python -m bench.core_bench [--db PATH]``; prints p50/p99 of
each operation through the real core (aiosqlite, WAL) and the targets.
Targets: p99 < 5 ms per operation, leaderboard (top 10 + own rank) < 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsrs import Card

from bot.core.context import Learner
from bot.core.flashcards import Grade
from bot.core.option_order import Shown
from bot.core.tutor import Tutor
from bot.curriculum import load_course
from bot.storage import Database

GUILD = 1
USERS = 10_000
REVIEWS = 1_000_000
CARDS_PER_USER = 60
ANSWERS_PER_USER = 20
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SAMPLES = 2000


def populate(path: Path, course_cards: list[tuple[str, str]], questions: list[str]) -> None:
    """Bulk-load synthetic history with plain sqlite3 (a benchmark set-up, not bot code)."""
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    now = NOW.timestamp()
    fsrs_json = Card(card_id=1, due=NOW).to_json()
    conn.executemany(
        "INSERT INTO learners (guild_id, user_id, display_name, points, points_at,"
        " streak_current, streak_best, created_at) VALUES (?, ?, ?, ?, ?, 0, 0, 0)",
        (
            (GUILD, uid, f"user{uid}", rng.randint(0, 5000), now - rng.random() * 1e6)
            for uid in range(1, USERS + 1)
        ),
    )
    conn.executemany(
        "INSERT INTO weekly_points (guild_id, user_id, week, points, points_at)"
        " VALUES (?, ?, '2026-W48', ?, ?)",
        ((GUILD, uid, rng.randint(1, 500), now) for uid in range(1, USERS + 1, 2)),
    )
    conn.executemany(
        "INSERT INTO card_states (guild_id, user_id, card_id, lesson_id, fsrs, due,"
        " introduced_day) VALUES (?, ?, ?, ?, ?, ?, '2026-10-01')",
        (
            (GUILD, uid, cid, lid, fsrs_json, now + rng.uniform(-86400 * 3, 86400 * 30))
            for uid in range(1, USERS + 1)
            for cid, lid in course_cards[:CARDS_PER_USER]
        ),
    )
    per_user = REVIEWS // USERS
    conn.executemany(
        "INSERT INTO review_log (guild_id, user_id, card_id, rating, reviewed_at, points)"
        " VALUES (?, ?, ?, ?, ?, 2)",
        (
            (GUILD, uid, course_cards[i % len(course_cards)][0], rng.randint(1, 4), now - i)
            for uid in range(1, USERS + 1)
            for i in range(per_user)
        ),
    )
    conn.executemany(
        "INSERT INTO quiz_answers (guild_id, user_id, question_id, lesson_id, correct,"
        " answered_at, points) VALUES (?, ?, ?, 'x', ?, ?, 10)",
        (
            (GUILD, uid, questions[i % len(questions)], rng.random() < 0.7, now - i)
            for uid in range(1, USERS + 1)
            for i in range(ANSWERS_PER_USER)
        ),
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def measure(name: str, op: Callable[[int], Awaitable[object]]) -> dict[str, float]:
    times = []
    rng = random.Random(name)
    for _ in range(SAMPLES):
        uid = rng.randint(1, USERS)
        start = time.perf_counter()
        await op(uid)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[int(len(times) * 0.99)], 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/core_bench.sqlite3"))
    args = parser.parse_args()
    course = load_course(Path("content"))
    cards = [(c.id, c.lesson) for c in course.flashcards]
    questions = [q.id for q in course.questions]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    await (await Database.open(args.db)).close()
    start = time.perf_counter()
    populate(args.db, cards, questions)
    print(f"populated in {time.perf_counter() - start:.1f} s")

    clock_now = [NOW]
    tutor = await Tutor.open(args.db, course, lambda: clock_now[0])
    try:

        def who(uid: int) -> Learner:
            return Learner(GUILD, uid, f"user{uid}")

        async def review(uid: int) -> None:
            clock_now[0] += timedelta(milliseconds=1)
            await tutor.flashcards.review(who(uid), cards[uid % len(cards)][0], Grade.good)

        async def answer(uid: int) -> None:
            q = course.questions[uid % len(course.questions)]
            await tutor.quiz.answer(who(uid), Shown.as_written(q), q.answer_index)

        results = {
            "next due card": await measure("due", lambda u: tutor.flashcards.next_card(who(u))),
            "record a review": await measure("review", review),
            "record a quiz answer": await measure("answer", answer),
            "leaderboard all-time top 10 + own rank": await measure(
                "lb", lambda u: tutor.progress.leaderboard(who(u), "all-time")
            ),
            "leaderboard week top 10 + own rank": await measure(
                "lbw", lambda u: tutor.progress.leaderboard(who(u), "week")
            ),
        }
    finally:
        await tutor.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
