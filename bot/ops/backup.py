"""``python -m bot db backup PATH`` and ``db restore BACKUP``: the database's copies.

A backup uses SQLite's online backup API through the bot's own storage layer, so it is
safe while the bot is running (WAL readers never block the writer). A restore
(bot/ops/restore.py) needs the bot stopped: it refuses while a bot holds the lease.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import load_settings
from bot.core.lease import LeaseHeld
from bot.ops.clock import system_clock
from bot.ops.restore import RestoreError, restore
from bot.storage import StorageError
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteDatabase
from bot.storage.target import DatabaseTarget


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
        if not isinstance(source, Path):
            raise StorageError(f"{source}: back up a PostgreSQL database with pg_dump")
        _check_paths(source, target)
        asyncio.run(backup(source, target))
    except StorageError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {source} to {target}")
    return 0


def _restore(live: DatabaseTarget, backup_file: Path) -> int:
    try:
        if not isinstance(live, Path):
            raise RestoreError(f"{live}: restore a PostgreSQL database with pg_restore")
        kept = asyncio.run(restore(live, backup_file, system_clock))
    except LeaseHeld as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    except (RestoreError, StorageError) as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    replaced = f"; the replaced database is kept as {kept}" if kept else ""
    print(f"restored {backup_file} to {live}{replaced}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot db")
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("backup", help="copy the live database to PATH")
    take.add_argument("path", type=Path)
    put = commands.add_parser("restore", help="put BACKUP in place (the bot stopped)")
    put.add_argument("backup", type=Path)
    args = parser.parse_args(argv)
    live = load_settings().db_path
    if args.command == "restore":
        return _restore(live, args.backup)
    return _backup(live, args.path)
