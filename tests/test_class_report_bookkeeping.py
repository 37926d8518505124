"""The class report's bookkeeping (migration 10): each learner's activity per quarter hour
and the first-attempt flag, kept as activity happens and filled in for the history an
older bot left. Both must say exactly what the events themselves say, which is what the
report computed from the events before the bookkeeping existed."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.context import Learner
from bot.core.flashcards import Grade
from bot.core.option_order import Shown
from bot.core.tutor import Tutor
from bot.storage import Database
from bot.storage.migrations import MIGRATIONS
from tests.class_seed import seed_class, wrong_option
from tests.conftest import both_engines
from tests.factories import FakeClock, open_tutor
from tests.test_class_report import submit

pytestmark = both_engines  # those that take the tutor or the database_target fixture

GUILD = 5
BEFORE_BOOKKEEPING = [m for m in MIGRATIONS if m.version < 10]
EVENTS = (
    ("review_log", "reviewed_at"),
    ("quiz_answers", "answered_at"),
    ("exercise_attempts", "submitted_at"),
)

Quarters = dict[tuple[int, int, int], tuple[int, ...]]


async def from_the_events(db: Database) -> tuple[Quarters, set[int]]:
    """Per (guild, learner, quarter hour) its reviews, answers and submissions, and the id
    of every learner's first answer to each question: computed from scratch."""
    counts: dict[tuple[int, int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for column, (table, at) in enumerate(EVENTS):
        for guild_id, user_id, when in await db.fetchall(
            f"SELECT guild_id, user_id, {at} FROM {table}"
        ):
            counts[(guild_id, user_id, int(when // 900))][column] += 1
    first: dict[tuple[int, int, str], int] = {}
    for answer_id, *key in await db.fetchall(
        "SELECT id, guild_id, user_id, question_id FROM quiz_answers ORDER BY id"
    ):
        first.setdefault(tuple(key), answer_id)  # type: ignore[arg-type]
    return {key: tuple(value) for key, value in counts.items()}, set(first.values())


async def bookkept(db: Database) -> tuple[Quarters, set[int]]:
    """What the bookkeeping says: ``activity_quarters`` and the flagged answers."""
    rows = await db.fetchall(
        "SELECT guild_id, user_id, quarter, reviews, answers, submissions FROM activity_quarters"
    )
    flagged = await db.fetchall("SELECT id FROM quiz_answers WHERE first_attempt = 1")
    return {(g, u, q): tuple(counts) for g, u, q, *counts in rows}, {i for (i,) in flagged}


async def busy_history(tutor: Tutor, clock: FakeClock) -> None:
    """The seeded class, and more: events either side of quarter-hour boundaries, an undone
    review (alone in its quarter hour, and beside others), repeated answers, another
    guild, exercise attempts."""
    await seed_class(tutor, clock, GUILD)
    eve = Learner(GUILD, 31, "eve")
    first = tutor.course.lessons[0]
    question = first.questions[2]
    clock.now = clock.now.replace(hour=9, minute=14, second=59, microsecond=990_000)
    await tutor.flashcards.review(eve, first.flashcards[0].id, Grade.hard)
    await tutor.quiz.answer(eve, Shown.as_written(question), wrong_option(question))
    clock.advance(seconds=0.01)  # 09:15:00 exactly: the next quarter hour
    await tutor.quiz.answer(eve, Shown.as_written(question), question.answer_index)
    await tutor.flashcards.review(eve, first.flashcards[1].id, Grade.good)
    await tutor.flashcards.undo(eve)  # the quarter keeps its answer
    clock.advance(hours=2)
    await tutor.flashcards.review(eve, first.flashcards[1].id, Grade.good)
    await tutor.flashcards.undo(eve)  # the quarter had nothing else: no longer active
    clock.advance(hours=1)
    await tutor.quiz.answer(Learner(GUILD + 1, 31, "eve"), Shown.as_written(question), 0)
    await submit(tutor, eve, "alpha-ex", "fail")
    clock.advance(minutes=20)
    await submit(tutor, eve, "alpha-ex", "pass")


async def test_the_bookkeeping_says_what_the_events_say(tutor, clock) -> None:
    await busy_history(tutor, clock)
    quarters, first = await bookkept(tutor.ctx.db)
    assert (quarters, first) == await from_the_events(tutor.ctx.db)
    nine_fifteen = clock.now.replace(hour=9, minute=15, second=0, microsecond=0)
    assert quarters[(GUILD, 31, int(nine_fifteen.timestamp() // 900))] == (0, 1, 0)
    eleven_fifteen = nine_fifteen + timedelta(hours=2)
    assert (GUILD, 31, int(eleven_fifteen.timestamp() // 900)) not in quarters
    assert sum(answers for _, answers, _ in quarters.values()) == 7  # not dee's: forgotten


async def test_the_first_attempt_stays_the_first_answer_ever(tutor, clock) -> None:
    """Answered wrong ten days ago, right since: the week has no first attempt of it, all
    time has the wrong one, and later answers never take its place."""
    ben = Learner(GUILD, 2, "ben")
    question = tutor.course.questions[0]
    clock.advance(days=-10)
    await tutor.quiz.answer(ben, Shown.as_written(question), wrong_option(question))
    clock.advance(days=10)
    for _ in range(2):
        await tutor.quiz.answer(ben, Shown.as_written(question), question.answer_index)
    flags = await tutor.ctx.db.fetchall("SELECT first_attempt FROM quiz_answers ORDER BY id")
    assert flags == [(1,), (0,), (0,)]
    week = await tutor.class_report.report(GUILD, "week")
    assert [(s.first_attempts, s.active_days) for s in week.students] == [(0, 1)]
    forever = await tutor.class_report.report(GUILD, "all-time")
    assert [(s.first_attempts, s.first_correct) for s in forever.students] == [(1, 0)]
    [item] = await tutor.items.report(GUILD)
    assert (item.answers, item.correct) == (1, 0.0)


async def test_activity_lands_on_the_guilds_local_day_across_daylight_saving(tutor, clock) -> None:
    """New York's midnight is 04:00 UTC in summer, 05:00 in winter: a review a second
    before it is the day before, one at it the day itself; the week starts at exactly
    the local midnight six days ago."""
    await tutor.guilds.update(GUILD, timezone="America/New_York")
    card = tutor.course.flashcards[0]
    summer = Learner(GUILD, 1, "sam")
    winter = Learner(GUILD, 2, "win")
    for who, midnight in (
        (summer, datetime(2026, 7, 1, 4, tzinfo=UTC)),
        (winter, datetime(2026, 12, 1, 5, tzinfo=UTC)),
    ):
        for at in (midnight - timedelta(seconds=1), midnight):
            clock.now = at
            await tutor.flashcards.review(who, card.id, Grade.good)
        clock.now = midnight + timedelta(days=6, hours=12)  # the week starts at `midnight`
        report = await tutor.class_report.report(GUILD, "week")
        student = next(s for s in report.students if s.user_id == who.user_id)
        assert (student.active_days, student.cards_reviewed) == (1, 1)
        report = await tutor.class_report.report(GUILD, "all-time")
        student = next(s for s in report.students if s.user_id == who.user_id)
        assert (student.active_days, student.cards_reviewed) == (2, 2)


async def test_forget_me_removes_the_learners_activity(tutor, clock) -> None:
    dee, ann = Learner(GUILD, 1, "dee"), Learner(GUILD, 2, "ann")
    for who in (dee, ann):
        await tutor.flashcards.review(who, tutor.course.flashcards[0].id, Grade.good)
    await tutor.guilds.forget(dee)
    rows = await tutor.ctx.db.fetchall("SELECT user_id FROM activity_quarters")
    assert rows == [(ann.user_id,)]


async def test_the_migration_fills_in_what_the_bot_would_have_kept(tmp_path, clock) -> None:
    """The same history recorded live, and copied as an older bot stored it then migrated:
    the same bookkeeping, the same reports."""
    live = await open_tutor(tmp_path, clock)
    try:
        await busy_history(live, clock)
        old_path = tmp_path / "old" / "tutor.sqlite3"
        await copy_as_before_bookkeeping(live.ctx.db, old_path)
        migrated = await Tutor.open(old_path, live.course, clock)
        try:
            assert await bookkept(migrated.ctx.db) == await bookkept(live.ctx.db)
            for period in ("week", "month", "all-time"):
                for lesson in (None, live.course.lessons[0].id):
                    assert await migrated.class_report.report(
                        GUILD, period, lesson
                    ) == await live.class_report.report(GUILD, period, lesson)
        finally:
            await migrated.close()
    finally:
        await live.close()


async def copy_as_before_bookkeeping(source: Database, path: Path) -> None:
    """The event tables of ``source`` in a new database at schema 9 (no bookkeeping)."""
    target = await Database.open(path, BEFORE_BOOKKEEPING)
    try:
        for table in (
            "learners",
            "guild_settings",
            "review_log",
            "quiz_answers",
            "exercise_attempts",
        ):
            columns = await target.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
            names = ", ".join(name for (name,) in columns)
            rows = await source.fetchall(f"SELECT {names} FROM {table}")
            async with target.transaction() as conn:
                await conn.executemany(
                    f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",
                    rows,
                )
    finally:
        await target.close()


async def test_a_report_reads_while_another_process_holds_the_write_lock(
    tutor, clock, database_target
) -> None:
    """The report writes nothing, so it takes no write lock: a class quiz in another
    process committing meanwhile neither waits for it nor makes it wait."""
    await seed_class(tutor, clock, GUILD)
    other = await Database.open(database_target)
    try:
        async with other.transaction():  # SQLite's write lock; PostgreSQL's advisory one
            report = await tutor.class_report.report(GUILD, "all-time")
            items = await tutor.items.report(GUILD)
    finally:
        await other.close()
    assert [s.name for s in report.students] == ["ann", "ben", "cid"]
    assert items


async def test_the_backfill_puts_events_in_the_quarter_they_fall_in(database_target) -> None:
    """Just before a quarter-hour boundary is the quarter before it, on both engines
    (PostgreSQL's CAST rounds where SQLite's truncates: the migration corrects it)."""
    old = await Database.open(database_target, BEFORE_BOOKKEEPING)
    try:
        async with old.transaction() as conn:
            await conn.execute(
                "INSERT INTO learners (guild_id, user_id, created_at) VALUES (?, ?, ?)",
                (GUILD, 1, 0.0),
            )
            for at in (1_764_000_899.99, 1_764_000_900.0, 1_764_001_349.5):
                await conn.execute(
                    "INSERT INTO review_log (guild_id, user_id, card_id, rating, reviewed_at,"
                    " points) VALUES (?, ?, 'c', 3, ?, 2)",
                    (GUILD, 1, at),
                )
            for question, at in (("q1", 1_764_000_899.5), ("q1", 1_764_000_950.0), ("q2", 960.0)):
                await conn.execute(
                    "INSERT INTO quiz_answers (guild_id, user_id, question_id, lesson_id,"
                    " correct, answered_at, points, chosen, shown_order)"
                    " VALUES (?, ?, ?, 'l', 1, ?, 10, 0, '0,1')",
                    (GUILD, 1, question, at),
                )
            await conn.execute(
                "INSERT INTO exercise_attempts (guild_id, user_id, exercise_id, lesson_id, status,"
                " checks_passed, checks_total, code, submitted_at, points)"
                " VALUES (?, ?, 'e', 'l', 'pass', 1, 1, '', ?, 0)",
                (GUILD, 1, 1_764_001_799.9),
            )
    finally:
        await old.close()
    db = await Database.open(database_target)
    try:
        quarters, first = await bookkept(db)
        assert (quarters, first) == await from_the_events(db)
        boundary = 1_764_000_900 // 900
        assert quarters == {
            (GUILD, 1, 1): (0, 1, 0),
            (GUILD, 1, boundary - 1): (1, 1, 0),
            (GUILD, 1, boundary): (2, 1, 1),
        }
        assert len(first) == 2
    finally:
        await db.close()
