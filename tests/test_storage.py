"""The SQLite layer: WAL, migrations in place, safe concurrency, clear errors."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest

from bot.storage import Database, DatabaseError, StorageError, learners
from bot.storage.migrations import MIGRATIONS, Migration
from bot.storage.postgres import POOL_SIZE
from bot.storage.target import DatabaseTarget, PostgresUrl
from tests.conftest import ROOT, both_engines


async def test_new_database_is_created_with_its_folder_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "tutor.sqlite3"
    db = await Database.open(path)
    try:
        assert path.exists()
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert await db.schema_version() == MIGRATIONS[-1].version
    finally:
        await db.close()


@both_engines
async def test_an_old_database_is_upgraded_in_place_keeping_its_data(database_target) -> None:
    path = database_target
    old = await Database.open(path, migrations=MIGRATIONS[:1])
    async with old.transaction() as conn:
        await learners.ensure(conn, 1, 42, "ada", 0.0)
        # Today's add_points needs today's schema: written as the version-1 bot did.
        await conn.execute("UPDATE learners SET points = 7 WHERE user_id = 42")
        await conn.execute(
            "INSERT INTO weekly_points (guild_id, user_id, week, points) VALUES (1, 42, ?, 7)",
            ("2026-W10",),
        )
    assert await old.schema_version() == 1
    await old.close()

    extra = Migration(99, "test column", "ALTER TABLE learners ADD COLUMN note TEXT")
    new = await Database.open(path, migrations=(*MIGRATIONS, extra))
    try:
        assert await new.schema_version() == 99
        assert (await new.fetchone("SELECT points FROM learners WHERE user_id = 42"))[0] == 7
        assert (await new.fetchone("SELECT count(*) FROM guild_settings"))[0] == 0
        assert (await new.fetchone("SELECT note FROM learners"))[0] is None
        totals = await new.fetchall("SELECT week, points, learners FROM board_totals")
        assert sorted(tuple(row) for row in totals) == [("", 7, 1), ("2026-W10", 7, 1)]
    finally:
        await new.close()


@both_engines
async def test_a_failing_migration_leaves_the_database_at_the_previous_version(
    database_target,
) -> None:
    path = database_target
    await (await Database.open(path)).close()
    broken = Migration(50, "broken", "CREATE TABLE x (a INTEGER); INSERT INTO nope VALUES (1)")
    with pytest.raises(StorageError, match="nope"):
        await Database.open(path, migrations=(*MIGRATIONS, broken))
    db = await Database.open(path)
    try:
        assert await db.schema_version() == MIGRATIONS[-1].version
        with pytest.raises(DatabaseError, match="x"):
            await db.fetchone("SELECT count(*) FROM x")
    finally:
        await db.close()


@both_engines
async def test_a_database_from_a_newer_bot_is_refused(database_target) -> None:
    path = database_target
    await (await Database.open(path, migrations=MIGRATIONS)).close()
    with pytest.raises(StorageError, match="newer than this bot"):
        await Database.open(path, migrations=MIGRATIONS[:1])


async def test_a_corrupt_file_gives_one_clear_error_and_is_left_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tutor.sqlite3"
    garbage = b"this is not a database at all" * 100
    path.write_bytes(garbage)
    with pytest.raises(StorageError, match="not a SQLite database"):
        await Database.open(path)
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tutor.sqlite3"]


async def test_a_folder_in_place_of_the_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tutor.sqlite3"
    path.mkdir()
    with pytest.raises(StorageError, match="is not a file"):
        await Database.open(path)


async def test_an_uncreatable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot create its folder"):
        await Database.open(blocker / "sub" / "tutor.sqlite3")


@both_engines
async def test_a_failed_transaction_changes_nothing(database_target) -> None:
    db = await Database.open(database_target)
    try:
        async with db.transaction() as conn:
            await learners.ensure(conn, 1, 1, "a", 0.0)
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await learners.add_points(conn, 1, 1, 5, "2026-W10", 1.0)
                raise RuntimeError("boom")
        assert (await db.fetchone("SELECT points FROM learners"))[0] == 0
    finally:
        await db.close()


NUMBERS = Migration(99, "a table to stream", "CREATE TABLE numbers (n INTEGER NOT NULL)")
HANG_GUARD_S = 120  # only a hang fails these: a leaked connection or lock waits forever


async def numbered(target: DatabaseTarget, count: int) -> Database:
    """A database whose table ``numbers`` holds 0 .. count - 1."""
    db = await Database.open(target, migrations=(*MIGRATIONS, NUMBERS))
    async with db.transaction() as conn:
        await conn.executemany("INSERT INTO numbers (n) VALUES (?)", [(n,) for n in range(count)])
    return db


@both_engines
async def test_a_stream_gives_every_row_in_batches_of_at_most_its_size(database_target) -> None:
    db = await numbered(database_target, 23)
    try:
        async with db.stream("SELECT n FROM numbers ORDER BY n", batch_size=5) as batches:
            got = [[n for (n,) in rows] async for rows in batches]
        assert [len(rows) for rows in got] == [5, 5, 5, 5, 3]
        assert [n for rows in got for n in rows] == list(range(23))
        async with db.stream("SELECT n FROM numbers WHERE n > ?", (99,), batch_size=5) as none:
            assert [rows async for rows in none] == []
    finally:
        await db.close()


@both_engines
async def test_a_stream_reads_one_snapshot_and_does_not_hold_up_writers(database_target) -> None:
    db = await numbered(database_target, 10)
    other = await Database.open(database_target, migrations=(*MIGRATIONS, NUMBERS))
    try:
        async with asyncio.timeout(HANG_GUARD_S):
            async with db.stream("SELECT n FROM numbers", batch_size=4) as batches:
                seen = [n for (n,) in await anext(batches)]
                async with other.transaction() as conn:  # another connection writes meanwhile
                    await conn.execute("DELETE FROM numbers")
                    await conn.execute("INSERT INTO numbers (n) VALUES (100)")
                seen += [n for rows in [rows async for rows in batches] for (n,) in rows]
        assert sorted(seen) == list(range(10))
        assert await db.fetchall("SELECT n FROM numbers") == [(100,)]
    finally:
        await other.close()
        await db.close()


@both_engines
async def test_a_stream_left_early_cancelled_or_failed_gives_its_connection_back(
    database_target,
) -> None:
    db = await numbered(database_target, 10)
    first_batch = asyncio.Event()

    async def stuck_reading() -> None:
        async with db.stream("SELECT n FROM numbers", batch_size=2) as batches:
            async for _ in batches:
                first_batch.set()
                await asyncio.Event().wait()

    try:
        async with asyncio.timeout(HANG_GUARD_S):
            for _ in range(POOL_SIZE + 2):  # a leak per round would exhaust the pool
                async with db.stream("SELECT n FROM numbers", batch_size=2) as batches:
                    async for _ in batches:
                        break
                first_batch.clear()
                reader = asyncio.create_task(stuck_reading())
                await first_batch.wait()
                reader.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await reader
                with pytest.raises(DatabaseError, match="nope"):
                    async with db.stream("SELECT * FROM nope", batch_size=2) as batches:
                        pass
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO numbers (n) VALUES (10)")
        assert (await db.fetchone("SELECT count(*) FROM numbers"))[0] == 11
    finally:
        await db.close()


async def test_200_concurrent_tasks_updating_one_user_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    first, second = await Database.open(path), await Database.open(path)
    try:

        async def bump(db: Database) -> None:
            async with db.transaction() as conn:
                await learners.ensure(conn, 1, 7, "ada", 0.0)
                await learners.add_points(conn, 1, 7, 1, "2026-W10", 1.0)

        # Two connections (as two processes would have) and 200 tasks between them.
        async with asyncio.TaskGroup() as tg:
            for i in range(200):
                tg.create_task(bump(first if i % 2 else second))
        assert (await first.fetchone("SELECT points FROM learners"))[0] == 200
        assert (await first.fetchone("SELECT sum(points) FROM weekly_points"))[0] == 200
    finally:
        await first.close()
        await second.close()


async def test_online_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
    try:
        async with db.transaction() as conn:
            await learners.ensure(conn, 1, 1, "a", 0.0)
        await db.backup(tmp_path / "backups" / "copy.sqlite3")
    finally:
        await db.close()
    copy = await Database.open(tmp_path / "backups" / "copy.sqlite3")
    try:
        assert (await copy.fetchone("SELECT count(*) FROM learners"))[0] == 1
    finally:
        await copy.close()


async def test_the_due_queries_consider_only_the_live_card_ids(tmp_path: Path) -> None:
    from bot.storage import cards
    from bot.storage.cards import CardStateRow

    db = await Database.open(tmp_path / "t.sqlite3")
    try:
        async with db.transaction() as conn:
            await learners.ensure(conn, 1, 1, "a", 0.0)
            for card_id, due in (("a", 10.0), ("b", 20.0), ("c", 30.0), ("it's", 5.0)):
                row = CardStateRow(card_id, "l", "{}", due)
                await cards.put_state(conn, 1, 1, row, "2026-03-02")
        async with db.transaction() as conn:
            first = await cards.first_due(conn, 1, 1, 100.0, ["b", "c", "it's"])
            assert first is not None and first.card_id == "it's"
            first = await cards.first_due(conn, 1, 1, 100.0, ["c", "b", "gone"])
            assert first is not None and first.card_id == "b"
            assert await cards.first_due(conn, 1, 1, 15.0, ["b", "c"]) is None
            assert await cards.first_due(conn, 1, 1, 100.0, []) is None
            assert await cards.count_due(conn, 1, 1, 25.0, {"a", "b", "c"}) == 2
            assert await cards.count_due(conn, 1, 1, 100.0, []) == 0
            # A course far bigger than SQLite's limit on bound variables is still one value.
            many = [f"x{i}" for i in range(40_000)] + ["c"]
            assert await cards.count_due(conn, 1, 1, 100.0, many) == 1
            assert await cards.count_due(conn, 2, 1, 100.0, ["a", "b", "c"]) == 0
        # Nothing was deleted: the states outside the ids are all still there.
        assert (await db.fetchone("SELECT count(*) FROM card_states"))[0] == 4
    finally:
        await db.close()


def setting(target: DatabaseTarget) -> str:
    """What TUTOR_DB would hold for ``target`` (a URL with its password, or a path)."""
    return target.url if isinstance(target, PostgresUrl) else str(target)


@both_engines
async def test_200_concurrent_updates_from_two_processes_lose_nothing(database_target) -> None:
    # Both processes start on an empty database: they also race through the migrations.
    bumpers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.bump_learner", setting(database_target), "100", cwd=ROOT
        )
        for _ in range(2)
    ]
    assert [await bumper.wait() for bumper in bumpers] == [0, 0]
    db = await Database.open(database_target)
    try:
        assert (await db.fetchone("SELECT points FROM learners"))[0] == 200
        assert (await db.fetchone("SELECT sum(points) FROM weekly_points"))[0] == 200
    finally:
        await db.close()


def test_a_postgres_url_prints_without_its_password() -> None:
    url = PostgresUrl("postgresql://tutor:s3cret@db.example:5432/tutor")
    assert str(url) == repr(url)[len("PostgresUrl('") : -2]
    assert "s3cret" not in str(url) and "s3cret" not in repr(url)
    assert str(url) == "postgresql://tutor:***@db.example:5432/tutor"
    assert url.scrub("auth failed for s3cret") == "auth failed for ***"


async def test_a_server_that_is_down_is_one_line_without_the_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(StorageError) as refused:
        await Database.open(f"postgresql://tutor:s3cret@127.0.0.1:{port}/tutor")
    message = str(refused.value)
    assert "cannot connect" in message and f"127.0.0.1:{port}" in message
    assert "s3cret" not in message and "\n" not in message
