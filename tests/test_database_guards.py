"""A database the bot cannot use is refused at start, untouched; a failing write shows
in the health check, and the heartbeat outlives it."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.ops.heartbeat import beat
from bot.storage import Database, DatabaseError, StorageError
from tests.cli import run_bot


async def test_a_database_from_a_newer_bot_is_refused_without_a_byte_changed(tmp_path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("PRAGMA user_version = 99")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(StorageError, match="schema version 99 is newer than this bot knows"):
        await Database.open(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["future.sqlite3"]  # no -wal, -shm


def immutable(path: Path, on: bool) -> bool:
    """``chattr +i``: not even root may write the file (as for a bot running as another
    user than the file's owner). False where the filesystem cannot do it."""
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return done.returncode == 0


async def test_a_database_the_bot_cannot_write_is_refused_at_start_in_one_line(
    tmp_path,
) -> None:
    db = tmp_path / "tutor.sqlite3"
    await (await Database.open(db)).close()
    if not immutable(db, True):
        pytest.skip("this filesystem has no immutable files (chattr)")
    try:
        done = await asyncio.to_thread(run_bot, ["console"], db)
    finally:
        immutable(db, False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr == (
        f"cannot start: {db}: cannot write to the database (attempt to write a readonly "
        "database); check the owner and permissions of the file and its folder\n"
    )


async def test_the_heartbeat_skips_while_writes_fail_and_beats_again_after(
    tutor, tmp_path, monkeypatch
) -> None:
    path = tmp_path / "bot.heartbeat"
    assert await beat(tutor, path) and path.exists()
    path.unlink()

    async def refused() -> None:
        raise DatabaseError("attempt to write a readonly database")

    monkeypatch.setattr(tutor.ctx.db, "write_probe", refused)
    assert not await beat(tutor, path) and not path.exists()  # health goes stale
    monkeypatch.undo()
    assert not await beat(tutor, tmp_path / "gone" / "bot.heartbeat")  # a file error too
    assert await beat(tutor, path) and path.exists()


async def test_a_task_cancelled_while_beginning_a_write_leaves_no_transaction_open(
    tmp_path,
) -> None:
    """A shutdown cancels the heartbeat mid-write: the BEGIN it sent still runs (in
    aiosqlite's thread) and must be rolled back, or the write lock is held for good."""
    first = await Database.open(tmp_path / "t.sqlite3")
    second = await Database.open(tmp_path / "t.sqlite3")
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_write_lock() -> None:
        async with first.transaction():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_write_lock())
    await holding.wait()

    async def begin_a_write() -> None:
        async with second.transaction():
            pass

    probe = asyncio.create_task(begin_a_write())  # its BEGIN waits for the lock
    for _ in range(5):  # let it reach aiosqlite's thread: its BEGIN is then on its way
        await asyncio.sleep(0)
    probe.cancel()
    release.set()
    await holder
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert not second._conn.in_transaction
    async with first.transaction() as conn:  # the write lock is free again
        await conn.execute("PRAGMA user_version = 99")
    await second.close()
    await first.close()
