"""The SQLite layer: WAL, migrations in place, safe concurrency, clear errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.storage import Database, StorageError, learners
from bot.storage.migrations import MIGRATIONS, Migration


async def test_new_database_is_created_with_its_folder_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "tutor.sqlite3"
    db = await Database.open(path)
    try:
        assert path.exists()
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert await db.user_version() == MIGRATIONS[-1].version
    finally:
        await db.close()


async def test_an_old_file_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "tutor.sqlite3"
    old = await Database.open(path, migrations=MIGRATIONS[:1])
    async with old.transaction() as conn:
        await learners.ensure(conn, 1, 42, "ada", 0.0)
        await learners.add_points(conn, 1, 42, 7, "2026-W10", 1.0)
    assert await old.user_version() == 1
    await old.close()

    extra = Migration(99, "test column", "ALTER TABLE learners ADD COLUMN note TEXT")
    new = await Database.open(path, migrations=(*MIGRATIONS, extra))
    try:
        assert await new.user_version() == 99
        assert (await new.fetchone("SELECT points FROM learners WHERE user_id = 42"))[0] == 7
        assert (await new.fetchone("SELECT count(*) FROM guild_settings"))[0] == 0
        assert (await new.fetchone("SELECT note FROM learners"))[0] is None
    finally:
        await new.close()


async def test_a_failing_migration_leaves_the_file_at_the_previous_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tutor.sqlite3"
    await (await Database.open(path)).close()
    broken = Migration(50, "broken", "CREATE TABLE x (a); INSERT INTO nope VALUES (1)")
    with pytest.raises(StorageError, match="no such table: nope"):
        await Database.open(path, migrations=(*MIGRATIONS, broken))
    db = await Database.open(path)
    try:
        assert await db.user_version() == MIGRATIONS[-1].version
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'x'") is None
    finally:
        await db.close()


async def test_a_file_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tutor.sqlite3"
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


async def test_a_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "t.sqlite3")
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
