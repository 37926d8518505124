"""``python -m bot db backup PATH``: a consistent copy of the live database.

Uses SQLite's online backup API through the bot's own storage layer, so it is safe while
the bot is running (WAL readers never block the writer). Restore = stop the bot, copy
the backup over the database file (removing any ``-wal``/``-shm`` beside it), start.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import load_settings
from bot.storage import StorageError
from bot.storage.migrations import MIGRATIONS
from bot.storage.sqlite import SqliteDatabase


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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot db")
    commands = parser.add_subparsers(dest="command", required=True)
    take = commands.add_parser("backup", help="copy the live database to PATH")
    take.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    source = load_settings().db_path
    try:
        if not isinstance(source, Path):
            raise StorageError(f"{source}: back up a PostgreSQL database with pg_dump")
        _check_paths(source, args.path)
        asyncio.run(backup(source, args.path))
    except StorageError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"backed up {source} to {args.path}")
    return 0
