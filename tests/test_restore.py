"""`python -m bot db restore BACKUP` puts a `db backup` back: checked first, refused while
a bot holds the lease, and the replaced database kept rather than deleted."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
from pathlib import Path

import pytest

from bot.core.context import Learner
from bot.core.shards import EVERY_SHARD
from bot.core.tutor import Tutor
from bot.ops.clock import system_clock
from bot.storage.migrations import MIGRATIONS
from tests.cli import run_bot
from tests.factories import make_course


async def open_tutor(db: Path) -> Tutor:
    """The core on the real clock: a lease it takes is live for the restore command."""
    return await Tutor.open(db, make_course(), system_clock)


async def points(db: Path) -> int:
    tutor = await open_tutor(db)
    try:
        row = await tutor.ctx.db.fetchone("SELECT points FROM learners WHERE user_id = 7")
        return int(row[0]) if row else 0
    finally:
        await tutor.close()


async def answer_once(db: Path, question: int) -> None:
    tutor = await open_tutor(db)
    try:
        shown = tutor.quiz.shown(f"alpha-q{question}", "01", 0)
        await tutor.quiz.answer(Learner(1, 7, "ada"), shown, 0)
    finally:
        await tutor.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kept_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("tutor.sqlite3.replaced-*"))


async def test_a_backup_restored_brings_its_progress_back_and_keeps_the_replaced_file(
    tmp_path,
) -> None:
    db, backup = tmp_path / "tutor.sqlite3", tmp_path / "backups" / "monday.sqlite3"
    await answer_once(db, 0)
    at_backup = await points(db)
    assert at_backup > 0
    assert run_bot(["db", "backup", str(backup)], db).returncode == 0
    await answer_once(db, 1)  # progress after the backup, which the restore rolls back
    later = await points(db)
    assert later > at_backup

    done = run_bot(["db", "restore", str(backup)], db)
    assert done.returncode == 0, done.stderr
    [kept] = kept_files(tmp_path)
    assert done.stdout == (f"restored {backup} to {db}; the replaced database is kept as {kept}\n")
    assert await points(db) == at_backup
    assert await points(kept) == later  # the replaced database, whole
    assert not (tmp_path / "tutor.sqlite3.restoring").exists()

    # The restored database serves a bot: the backup's lease row (taken while a bot ran)
    # is not carried over, and the restore's own lease stayed in the replaced file.
    tutor = await open_tutor(db)
    try:
        await tutor.take_lease(EVERY_SHARD)
    finally:
        await tutor.close()


async def test_a_restore_is_refused_in_one_line_while_a_bot_holds_the_lease(tmp_path) -> None:
    db, backup = tmp_path / "tutor.sqlite3", tmp_path / "backup.sqlite3"
    await answer_once(db, 0)
    assert run_bot(["db", "backup", str(backup)], db).returncode == 0
    bot = await open_tutor(db)
    try:
        await bot.take_lease(EVERY_SHARD)
        done = run_bot(["db", "restore", str(backup)], db)
    finally:
        await bot.close()
    assert done.returncode == 1
    assert done.stderr.startswith("restore refused: another bot process (host ")
    assert f"host {socket.gethostname()}, pid {os.getpid()}" in done.stderr
    assert done.stderr.count("\n") == 1
    assert kept_files(tmp_path) == [] and not (tmp_path / "tutor.sqlite3.restoring").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,points\nada,3\n", "not a SQLite database (not a backup of this bot)"),
        (b"", "not a SQLite database (not a backup of this bot)"),
        (b"SQLite format 3\x00" + b"\xff" * 200, "an unreadable SQLite database"),
    ],
    ids=["csv", "empty", "damaged"],
)
async def test_a_file_that_is_no_database_is_refused_and_nothing_changes(
    tmp_path, content: bytes, message: str
) -> None:
    db, junk = tmp_path / "tutor.sqlite3", tmp_path / "junk"
    await answer_once(db, 0)
    before = digest(db)
    junk.write_bytes(content)
    done = run_bot(["db", "restore", str(junk)], db)
    assert done.returncode == 1
    assert done.stderr.startswith(f"restore failed: {junk}: {message}")
    assert done.stderr.count("\n") == 1
    assert digest(db) == before and kept_files(tmp_path) == []


def test_a_foreign_or_newer_database_is_refused(tmp_path) -> None:
    db = tmp_path / "tutor.sqlite3"
    foreign = tmp_path / "other-app.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    done = run_bot(["db", "restore", str(foreign)], db)
    assert (done.returncode, done.stderr) == (
        1,
        f"restore failed: {foreign}: a SQLite database, but not one of this bot's backups\n",
    )
    newer = tmp_path / "newer.sqlite3"
    latest = max(m.version for m in MIGRATIONS)
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {latest + 1}")
    done = run_bot(["db", "restore", str(newer)], db)
    assert done.returncode == 1
    assert f"schema version {latest + 1} is newer than this bot knows" in done.stderr
    assert not db.exists()


async def test_an_older_backup_is_migrated_and_a_missing_database_simply_created(
    tmp_path,
) -> None:
    old = tmp_path / "old.sqlite3"
    first = MIGRATIONS[0]
    with sqlite3.connect(old) as conn:
        conn.executescript(first.sql)
        conn.execute(f"PRAGMA user_version = {first.version}")
    db = tmp_path / "fresh" / "tutor.sqlite3"
    done = run_bot(["db", "restore", str(old)], db)
    assert (done.returncode, done.stdout) == (0, f"restored {old} to {db}\n"), done.stderr
    with sqlite3.connect(db) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert version == max(m.version for m in MIGRATIONS)


async def test_a_restore_is_refused_while_another_process_has_the_database_open(
    tmp_path,
) -> None:
    db, backup = tmp_path / "tutor.sqlite3", tmp_path / "backup.sqlite3"
    await answer_once(db, 0)
    assert run_bot(["db", "backup", str(backup)], db).returncode == 0
    console = await open_tutor(db)  # the console takes no lease, but writes
    try:
        done = run_bot(["db", "restore", str(backup)], db)
        assert done.returncode == 1
        assert done.stderr.startswith(f"restore failed: {db}: still open in another process")
        assert kept_files(tmp_path) == []
    finally:
        await console.close()
    # The refused restore gave its lease back: a bot starts at once.
    bot = await open_tutor(db)
    try:
        await bot.take_lease(EVERY_SHARD)
    finally:
        await bot.close()
