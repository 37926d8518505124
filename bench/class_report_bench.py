"""The class report for a class of 1,000 students with a semester of history.

Run by hand: ``.venv/bin/python -m bench.class_report_bench [--db PATH]``; prints the
median and worst of a few runs per period (core only, and the core plus the rendering
both frontends do: the two CSVs and the chart). Target: < 2 s for the report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from fsrs import Card

from bot.core.tutor import Tutor
from bot.curriculum import load_course
from bot.curriculum.models import Course
from bot.render.class_report import questions_csv, render_chart, students_csv
from bot.storage import Database
from bot.storage.migrations import MIGRATIONS

GUILD = 1
STUDENTS = 1_000
DAYS = 90  # a semester
ACTIVE_SHARE = 0.6  # of the days, per student on average
REVIEWS_PER_DAY = 12
ANSWERS_PER_DAY = 4
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
RUNS = 5


def populate(path: Path, course: Course) -> dict[str, int]:
    """Bulk-load synthetic history with plain sqlite3 (a benchmark set-up, not bot code):
    each student is active on some days; each active day brings reviews and answers."""
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    now = NOW.timestamp()
    fsrs_json = Card(card_id=1, due=NOW).to_json()
    cards = [card.id for card in course.flashcards]
    questions = course.questions
    conn.executemany(
        "INSERT INTO learners (guild_id, user_id, display_name, points, points_at,"
        " streak_current, streak_best, last_active_day, created_at)"
        " VALUES (?, ?, ?, 0, 0, ?, ?, '2026-11-27', ?)",
        (
            (GUILD, uid, f"student {uid}", rng.randint(0, 20), 20, now - DAYS * 86400)
            for uid in range(1, STUDENTS + 1)
        ),
    )
    reviews: list[tuple[object, ...]] = []
    answers: list[tuple[object, ...]] = []
    for uid in range(1, STUDENTS + 1):
        share = min(1.0, max(0.05, rng.gauss(ACTIVE_SHARE, 0.25)))
        asked = 0
        for day in range(DAYS, 0, -1):
            if rng.random() > share:
                continue
            start = now - day * 86400 + rng.uniform(0, 80000)
            for n in range(REVIEWS_PER_DAY):
                card = cards[rng.randrange(len(cards))]
                reviews.append((GUILD, uid, card, rng.randint(1, 4), start + n * 20, fsrs_json))
            for n in range(ANSWERS_PER_DAY):
                # mostly new questions in course order, sometimes a repeat
                index = asked if rng.random() < 0.8 else rng.randrange(max(asked, 1))
                asked = min(asked + 1, len(questions) - 1)
                question = questions[index]
                chosen = (
                    question.answer_index
                    if rng.random() < 0.7
                    else rng.randrange(4) % len(question.options)
                )
                answers.append(
                    (GUILD, uid, question.id, question.lesson,
                     int(chosen == question.answer_index), start + 600 + n * 30, chosen)
                )  # fmt: skip
    conn.executemany(
        "INSERT INTO review_log (guild_id, user_id, card_id, rating, reviewed_at,"
        " previous_fsrs, points) VALUES (?, ?, ?, ?, ?, ?, 2)",
        sorted(reviews, key=lambda row: row[4]),  # appended in time order, as the bot does
    )
    conn.executemany(
        "INSERT INTO quiz_answers (guild_id, user_id, question_id, lesson_id, correct,"
        " answered_at, points, source, chosen, shown_order)"
        " VALUES (?, ?, ?, ?, ?, ?, 10, 'solo', ?, '0,1,2,3')",
        sorted(answers, key=lambda row: row[5]),
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return {"students": STUDENTS, "review_log rows": len(reviews), "quiz answers": len(answers)}


def cpu_seconds() -> float:
    """CPU time of this process, all threads (aiosqlite's included): what the report costs
    whatever else the machine runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def timed(op: Callable[[], Awaitable[object]]) -> dict[str, float]:
    times, cpu = [], []
    for _ in range(RUNS):
        start, start_cpu = time.perf_counter(), cpu_seconds()
        await op()
        times.append(time.perf_counter() - start)
        cpu.append(cpu_seconds() - start_cpu)
    return {
        "wall_median_s": round(statistics.median(times), 3),
        "wall_max_s": round(max(times), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/class_report_bench.sqlite3"))
    args = parser.parse_args()
    course = load_course(Path("content"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    # The history is loaded as the bot before migration 10 kept it, so opening it after
    # runs that migration's backfill (timed: what an upgrade of such a class costs).
    await (await Database.open(args.db, [m for m in MIGRATIONS if m.version < 10])).close()
    start = time.perf_counter()
    sizes = populate(args.db, course)
    print(f"populated in {time.perf_counter() - start:.1f} s: {sizes}")
    start = time.perf_counter()
    await (await Database.open(args.db)).close()
    print(f"migrated (backfill of migration 10) in {time.perf_counter() - start:.1f} s")

    tutor = await Tutor.open(args.db, course, lambda: NOW)
    try:
        reports = tutor.class_report

        async def rendered(period: str) -> None:
            report = await reports.report(GUILD, period)
            await asyncio.to_thread(students_csv, report)
            await asyncio.to_thread(questions_csv, report)
            await asyncio.to_thread(render_chart, report)

        results = {}
        for period in ("week", "month", "all-time"):
            results[f"report {period}"] = await timed(
                lambda p=period: reports.report(GUILD, p)  # type: ignore[misc]
            )
            results[f"report {period} + CSVs + chart"] = await timed(
                lambda p=period: rendered(p)  # type: ignore[misc]
            )
        results["report all-time, one lesson"] = await timed(
            lambda: reports.report(GUILD, "all-time", "tasks")
        )
    finally:
        await tutor.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
