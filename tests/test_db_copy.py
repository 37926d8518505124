"""`python -m bot db copy SRC DST`: every table copied into an empty database, SQLite to
PostgreSQL and back, then both read back and compared table by table (row count and an
order-free checksum)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.core.context import Learner
from bot.core.shards import EVERY_SHARD
from bot.ops.db_copy import CopyError, check_table, copy, row_digest, tables
from bot.storage import Database
from bot.storage.postgres import PostgresDatabase
from bot.storage.sqlite import SqliteDatabase
from bot.storage.target import DatabaseTarget
from tests.cli import run_bot
from tests.factories import FakeClock, open_tutor


async def seed(folder: Path, database: DatabaseTarget, users: tuple[int, ...] = (7, 8)) -> None:
    """Rows in the learning tables (and a live lease, which a copy leaves behind)."""
    tutor = await open_tutor(folder, FakeClock(), database=database)
    try:
        for user in users:
            who = Learner(1, user, f"user{user}")
            for q in range(2):
                await tutor.quiz.answer(who, tutor.quiz.shown(f"alpha-q{q}", "01", 0), q % 2)
        await tutor.take_lease(EVERY_SHARD)
    finally:
        await tutor.close()


async def checks(database: DatabaseTarget) -> dict[str, tuple[int, str]]:
    db = await Database.open(database)
    try:
        return {t: ((c := await check_table(db, t)).rows, c.checksum) for t in tables()}
    finally:
        await db.close()


def recording(stream, table: str, sizes: list[int]):
    """``stream``, noting the size of each batch it reads from ``table``."""

    @asynccontextmanager
    async def recorded(db: Database, sql: str, params=(), *, batch_size: int):
        async with stream(db, sql, params, batch_size=batch_size) as batches:
            yield noted(batches, sizes if f" {table}" in sql else [])

    async def noted(batches, into: list[int]):
        async for rows in batches:
            into.append(len(rows))
            yield rows

    return recorded


def copy_command(source: DatabaseTarget, target: DatabaseTarget):
    return run_bot(["db", "copy", getattr(source, "url", str(source)),
                    getattr(target, "url", str(target))], Path("unused.sqlite3"))  # fmt: skip


async def test_a_seeded_database_goes_to_postgresql_and_back_unchanged(
    tmp_path, postgres_url
) -> None:
    source, back = tmp_path / "tutor.sqlite3", tmp_path / "back.sqlite3"
    await seed(tmp_path, source)
    there = copy_command(source, postgres_url)
    assert there.returncode == 0, there.stderr
    assert there.stdout.endswith("tables; both read back equal\n")
    assert "quiz_answers: 4 rows, checksum " in there.stdout
    returned = copy_command(postgres_url, back)
    assert returned.returncode == 0, returned.stderr
    original = await checks(source)
    assert (
        await checks(postgres_url)
        == await checks(back)
        == {
            **original,
            "leases": (0, f"{0:064x}"),  # no process serves a copy yet
        }
    )
    # The copy serves the bot: new rows get ids after the copied ones.
    await seed(tmp_path, postgres_url, users=(9,))
    assert (await checks(postgres_url))["quiz_answers"][0] == 6


async def test_tables_larger_than_a_batch_go_over_and_are_checked_batch_by_batch(
    tmp_path, postgres_url, monkeypatch
) -> None:
    source, back = tmp_path / "tutor.sqlite3", tmp_path / "back.sqlite3"
    await seed(tmp_path, source, users=tuple(range(1, 12)))  # 22 quiz answers
    monkeypatch.setattr("bot.ops.db_copy.BATCH_ROWS", 3)
    read: list[int] = []  # the size of each batch of quiz_answers read, either engine
    for engine in (SqliteDatabase, PostgresDatabase):
        monkeypatch.setattr(engine, "stream", recording(engine.stream, "quiz_answers", read))
    for there, to in ((source, postgres_url), (postgres_url, back)):
        first, second = await Database.open(there), await Database.open(to)
        try:
            copied = await copy(first, second, identities=to == postgres_url)
        finally:
            await first.close()
            await second.close()
        assert ("quiz_answers", 22) in [(c.table, c.rows) for c in copied]
    # Two copies, each reading quiz_answers three times (copy, check source, check target).
    assert read == [3, 3, 3, 3, 3, 3, 3, 1] * 6
    assert await checks(back) == {**await checks(source), "leases": (0, f"{0:064x}")}


async def test_the_target_must_be_empty_and_the_source_must_exist(tmp_path, postgres_url) -> None:
    source = tmp_path / "tutor.sqlite3"
    await seed(tmp_path, source)
    same = copy_command(source, source)
    assert (same.returncode, same.stderr) == (
        1,
        "copy failed: the source and the target are the same database\n",
    )
    missing = copy_command(tmp_path / "nope.sqlite3", postgres_url)
    assert missing.stderr == f"copy failed: {tmp_path / 'nope.sqlite3'}: no database to copy\n"
    assert not (tmp_path / "nope.sqlite3").exists()
    await seed(tmp_path, postgres_url)
    full = copy_command(source, postgres_url)
    assert full.returncode == 1
    assert full.stderr == (
        "copy failed: the target already holds data (table learners); copy into an empty database\n"
    )


def test_the_checksum_sees_types_and_values_but_not_order() -> None:
    assert row_digest((1, "a")) != row_digest((1.0, "a")) != row_digest(("1", "a"))
    assert row_digest((None,)) != row_digest(("",)) != row_digest((0,))
    assert row_digest(("ab", "c")) != row_digest(("a", "bc"))


async def test_a_table_that_differs_after_the_copy_is_named(tmp_path, monkeypatch) -> None:
    await seed(tmp_path, tmp_path / "tutor.sqlite3")
    source = await Database.open(tmp_path / "tutor.sqlite3")
    target = await Database.open(tmp_path / "copy.sqlite3")
    real = check_table

    async def one_row_lost(db: Database, table: str):  # what a faulty copy would leave
        found = await real(db, table)
        if db is target and table == "quiz_answers":
            return type(found)(table, found.rows - 1, found.checksum)
        return found

    monkeypatch.setattr("bot.ops.db_copy.check_table", one_row_lost)
    try:
        with pytest.raises(CopyError, match="table quiz_answers differs after the copy: 4 rows"):
            await copy(source, target, identities=False)
    finally:
        await source.close()
        await target.close()
