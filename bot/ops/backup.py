"""``python -m bot db backup PATH``, ``db restore BACKUP``, ``db copy SRC DST``.

On SQLite, a backup uses SQLite's online backup API through the bot's own storage layer,
so it is safe while the bot is running (WAL readers never block the writer); on
PostgreSQL, pg_dump (bot/ops/pg_backup.py), as safe. A restore (bot/ops/restore.py, or
pg_restore) needs the bot stopped: it refuses while a bot holds the lease.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import load_settings
from bot.core.lease import LeaseHeld
from bot.ops import pg_backup
from bot.ops.clock import system_clock
from bot.ops.db_copy import CopyError, copy_between
from bot.ops.restore import RestoreError, restore
from bot.storage import DatabaseError, StorageError
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteDatabase
from bot.storage.target import DatabaseTarget, PostgresUrl


def _check_paths(source: Path, target: Path) -> None:
    if not source.exists():
        raise StorageError(f"{source}: no database to back up")
    if target.exists():
        raise StorageError(f"{target}: already exists; choose a new file name")


async def backup(source: Path, target: Path) -> None:
    """Callers check the paths first (``_check_paths``)."""
    db = await SqliteDatabase.connect(source, MIGRATIONS)
    try:
        await db.backup(target)
    finally:
        await db.close()


def _backup(source: DatabaseTarget, target: Path) -> int:
    try:
        if isinstance(source, PostgresUrl):
            asyncio.run(pg_backup.dump(source, target))
        else:
            _check_paths(source, target)
            asyncio.run(backup(source, target))
    except (StorageError, DatabaseError) as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {source} to {target}")
    return 0


def _restore(live: DatabaseTarget, backup_file: Path) -> int:
    try:
        if isinstance(live, PostgresUrl):
            kept: Path | None = asyncio.run(pg_backup.restore(live, backup_file, system_clock))
        else:
            kept = asyncio.run(restore(live, backup_file, system_clock))
    except LeaseHeld as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    except (RestoreError, StorageError, DatabaseError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    replaced = f"; the replaced database is kept as {kept}" if kept else ""
    print(f"restored {backup_file} to {live}{replaced}")
    return 0


def _copy(source: str, target: str) -> int:
    try:
        checks = asyncio.run(copy_between(source, target))
    except (CopyError, StorageError, DatabaseError) as exc:
        print(f"copy failed: {exc}", file=sys.stderr)
        return 1
    for check in checks:
        print(f"{check.table}: {check.rows} rows, checksum {check.checksum[:16]} on both")
    rows = sum(check.rows for check in checks)
    print(f"copied {rows} rows in {len(checks)} tables; both read back equal")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot db")
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("backup", help="copy the live database to PATH")
    take.add_argument("path", type=Path)
    put = commands.add_parser("restore", help="put BACKUP in place (the bot stopped)")
    put.add_argument("backup", type=Path)
    duplicate = commands.add_parser("copy", help="copy database SRC into the empty DST")
    duplicate.add_argument("source", metavar="SRC", help="a SQLite path or a postgresql:// URL")
    duplicate.add_argument("target", metavar="DST", help="a SQLite path or a postgresql:// URL")
    args = parser.parse_args(argv)
    if args.command == "copy":
        return _copy(args.source, args.target)
    live = load_settings().db_path
    if args.command == "restore":
        return _restore(live, args.backup)
    return _backup(live, args.path)
