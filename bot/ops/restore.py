"""``python -m bot db restore BACKUP``: put a backup made by ``db backup`` back in place.

The backup is checked before anything changes: a SQLite file, intact (``quick_check``),
of a schema version this bot knows with exactly that version's tables, so neither a
foreign database nor a newer bot's backup replaces the live one. The restore takes the
database's lease for every shard (``LeaseHeld`` while a bot serves it: refused, nothing
changed) and keeps it in the replaced file, so no bot starts between the checks and the
swap. The replaced database is kept beside the new one (``<name>.replaced-<UTC time>``),
never deleted. The restored copy is staged beside the live file, migrated if it is older,
and its lease rows are cleared; then it replaces the live file in one rename.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.clock import Clock
from bot.core.lease import Lease
from bot.core.shards import EVERY_SHARD
from bot.storage import Database, leases
from bot.storage.migrations import MIGRATIONS

SQLITE_HEADER = b"SQLite format 3\x00"


class RestoreError(Exception):
    """The restore was refused or failed; the message says why, and the live database is
    as it was."""


@dataclass
class RestoreContext:
    """The lease's view of this command: the database and the clock, no course."""

    db: Database
    clock: Clock

    def now(self) -> datetime:
        return self.clock()


async def restore(live: Path, backup: Path, clock: Clock) -> Path | None:
    """Replace ``live`` by ``backup``; returns where the replaced database was kept (None
    when there was none). ``LeaseHeld`` while a bot serves ``live``; after a refusal or a
    failure the live database is as it was, its lease given back."""
    await check_backup(backup)
    staged = live.with_name(f"{live.name}.restoring")
    await asyncio.to_thread(_remove_with_journals, staged)
    if not await asyncio.to_thread(live.exists):
        await _stage(backup, staged)
        await asyncio.to_thread(os.replace, staged, live)
        return None
    tool = RestoreContext(await Database.open(live), clock)
    lease = Lease(tool, EVERY_SHARD)
    try:
        await lease.acquire()
        await _stage(backup, staged)
    except BaseException:
        await _give_back(lease, tool)
        raise
    await tool.db.close()  # the lease stays in the file until it is replaced
    try:
        return await asyncio.to_thread(_swap, live, staged, clock())
    except RestoreError:
        tool.db = await Database.open(live)
        await _give_back(lease, tool)
        raise


async def _stage(backup: Path, staged: Path) -> None:
    """The backup copied to ``staged``, migrated if older, without lease rows."""
    try:
        await asyncio.to_thread(_copy, backup, staged)
        restored = await Database.open(staged)
        try:
            async with restored.transaction() as conn:
                await leases.delete_all(conn)
        finally:
            await restored.close()
    except BaseException:
        await asyncio.to_thread(_remove_with_journals, staged)
        raise


async def _give_back(lease: Lease, tool: RestoreContext) -> None:
    try:
        await lease.release()  # a no-op when acquire was refused: no row of its own
    finally:
        await tool.db.close()


async def check_backup(backup: Path) -> None:
    """``RestoreError`` unless ``backup`` is an intact database of a schema this bot knows."""
    version, tables = await asyncio.to_thread(_inspect, backup)
    latest = max(m.version for m in MIGRATIONS)
    if version > latest:
        raise RestoreError(
            f"{backup}: schema version {version} is newer than this bot knows ({latest}); "
            "restore it with the bot that made it"
        )
    expected = await _tables_at(version)
    if version < 1 or tables != expected:
        raise RestoreError(f"{backup}: a SQLite database, but not one of this bot's backups")


def _inspect(backup: Path) -> tuple[int, set[str]]:
    """The backup's schema version and table names, read without writing to it."""
    try:
        with backup.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise RestoreError(f"{backup}: cannot read it: {exc.strerror}") from exc
    if header != SQLITE_HEADER:
        raise RestoreError(f"{backup}: not a SQLite database (not a backup of this bot)")
    try:
        conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            (check,) = conn.execute("PRAGMA quick_check").fetchone()
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = {name for (name,) in names if not name.startswith("sqlite_")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreError(f"{backup}: an unreadable SQLite database ({exc})") from exc
    if check != "ok":
        raise RestoreError(f"{backup}: a damaged SQLite database ({check})")
    return int(version), tables


async def _tables_at(version: int) -> set[str]:
    """The tables the migrations up to ``version`` create, in a database of their own."""
    schema = await Database.open(":memory:", [m for m in MIGRATIONS if m.version <= version])
    try:
        names = await schema.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    finally:
        await schema.close()
    return {name for (name,) in names if not name.startswith("sqlite_")}


def _copy(backup: Path, target: Path) -> None:
    """A consistent copy with SQLite's backup API (a backup still in WAL mode included)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error) as exc:
        raise RestoreError(f"{target}: cannot write the restored copy: {exc}") from exc


def _swap(live: Path, staged: Path, now: datetime) -> Path | None:
    """Keep the live file under a new name, then move the staged one in (one rename: the
    live name always holds a whole database)."""
    if not live.exists():
        os.replace(staged, live)
        return None
    for journal in _journals(live):
        if journal.exists():
            _remove_with_journals(staged)
            raise RestoreError(
                f"{live}: still open in another process (the console, or a backup); "
                "stop it, then restore again"
            )
    kept = live.with_name(f"{live.name}.replaced-{now.strftime('%Y%m%dT%H%M%SZ')}")
    if kept.exists():
        _remove_with_journals(staged)
        raise RestoreError(f"{kept}: already exists; restore again in a second")
    os.link(live, kept)
    os.replace(staged, live)
    return kept


def _journals(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _remove_with_journals(path: Path) -> None:
    for leftover in (path, *_journals(path)):
        leftover.unlink(missing_ok=True)
