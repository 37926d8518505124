"""``python -m bot db copy SRC DST``: a whole database into an empty one, then checked.

SRC and DST are each what ``TUTOR_DB`` takes (a SQLite path or a ``postgresql://`` URL),
so the same command moves a school from SQLite to PostgreSQL and back. Both are opened
through the bot's storage layer, so both are migrated to this bot's schema first: every
table then has the same columns in the same order on both engines (the migrations
create them so), and rows go over as they are, parents before children (the order the
migrations create the tables in, which foreign keys follow). The copy is one
transaction on DST; lease rows stay behind (no process serves the copy yet). On
PostgreSQL, the auto ids' identity sequences are then moved past the copied ids. Rows
are read and written ``BATCH_ROWS`` at a time (``Database.stream``), so a school's
million review-log rows never sit in memory at once.

Then both databases are read back, and each table's row count and checksum must match:
the checksum is order-free (a sum of per-row hashes), as the two engines return rows in
different orders, and typed, so that 1, 1.0 and '1' differ.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.storage import Database
from bot.storage.connection import Row
from bot.storage.migrations import MIGRATIONS
from bot.storage.target import DatabaseTarget, PostgresUrl, parse_target

LEASES = "leases"
BATCH_ROWS = 5_000  # read when a copy or check runs: tests make it small
_CHECKSUM_MODULUS = 1 << 256
_TABLE = re.compile(r"CREATE TABLE (\w+)", re.IGNORECASE)
_AUTO_ID = re.compile(r"(\w+)\s+INTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE)


@dataclass(frozen=True)
class TableCheck:
    table: str
    rows: int
    checksum: str


class CopyError(Exception):
    """The copy was refused or did not verify; the message says why (or which table)."""


def tables() -> list[str]:
    """Every table of the schema, in the order the migrations create them."""
    return [table for table, _ in _schema()]


def auto_ids() -> list[tuple[str, str]]:
    """(table, column) of each ``INTEGER PRIMARY KEY``: an identity column on PostgreSQL."""
    return [(table, column) for table, column in _schema() if column]


def _schema() -> list[tuple[str, str | None]]:
    """Each table and its ``INTEGER PRIMARY KEY`` column (if any), in creation order."""
    found: list[tuple[str, str | None]] = []
    for migration in sorted(MIGRATIONS, key=lambda m: m.version):
        for statement in migration.sql.split(";"):
            if table := _TABLE.search(statement):
                auto = _AUTO_ID.search(statement)
                found.append((table.group(1), auto.group(1) if auto else None))
    return found


def row_digest(row: Sequence[Any]) -> int:
    """One row's hash over its values and their types."""
    hasher = hashlib.sha256()
    for value in row:
        if value is None:
            part = b"N"
        elif isinstance(value, bool | int):
            part = b"I" + str(int(value)).encode()
        elif isinstance(value, float):
            part = b"F" + value.hex().encode()
        elif isinstance(value, str):
            part = b"S" + value.encode()
        elif isinstance(value, bytes):
            part = b"B" + value
        else:
            raise CopyError(f"a value of type {type(value).__name__} the copy cannot check")
        hasher.update(len(part).to_bytes(8, "big") + part)
    return int.from_bytes(hasher.digest(), "big")


async def check_table(db: Database, table: str) -> TableCheck:
    count = total = 0
    async with _read(db, table) as batches:
        async for rows in batches:
            count += len(rows)
            total = (total + sum(row_digest(row) for row in rows)) % _CHECKSUM_MODULUS
    return TableCheck(table, count, f"{total:064x}")


def _read(db: Database, table: str) -> AbstractAsyncContextManager[AsyncIterator[list[Row]]]:
    """Every row of ``table`` (a name from MIGRATIONS), ``BATCH_ROWS`` at a time."""
    return db.stream(f"SELECT * FROM {table}", batch_size=BATCH_ROWS)


async def copy(source: Database, target: Database, *, identities: bool) -> list[TableCheck]:
    """Copy every row of ``source`` into the empty ``target`` (``identities``: move its
    PostgreSQL identity sequences past the copied ids); the checks of both, read back
    after the copy (``CopyError`` when a table differs)."""
    names = [name for name in tables() if name != LEASES]
    for name in names:
        if await target.fetchone(f"SELECT 1 FROM {name} LIMIT 1"):
            raise CopyError(
                f"the target already holds data (table {name}); copy into an empty database"
            )
    async with target.transaction() as conn:
        for name in names:
            async with _read(source, name) as batches:
                async for rows in batches:
                    marks = ", ".join("?" * len(rows[0]))
                    await conn.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
        if identities:
            for name, column in auto_ids():
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                    f"(SELECT COALESCE(MAX({column}), 0) + 1 FROM {name}), false)"
                )
    checks = []
    for name in names:
        theirs, ours = await check_table(source, name), await check_table(target, name)
        if theirs != ours:
            raise CopyError(
                f"table {name} differs after the copy: {theirs.rows} rows in the source, "
                f"{ours.rows} in the target (checksums {theirs.checksum[:12]} and "
                f"{ours.checksum[:12]})"
            )
        checks.append(ours)
    return checks


async def copy_between(source: str, target: str) -> list[TableCheck]:
    """``db copy``: both settings parsed as ``TUTOR_DB`` is, both databases opened (and
    migrated), the copy made and checked."""
    src, dst = parse_target(source), parse_target(target)
    if _same(src, dst):
        raise CopyError("the source and the target are the same database")
    if isinstance(src, Path) and not await asyncio.to_thread(src.is_file):
        raise CopyError(f"{src}: no database to copy")
    source_db = await Database.open(src)
    try:
        target_db = await Database.open(dst)
        try:
            return await copy(source_db, target_db, identities=isinstance(dst, PostgresUrl))
        finally:
            await target_db.close()
    finally:
        await source_db.close()


def _same(one: DatabaseTarget, other: DatabaseTarget) -> bool:
    if isinstance(one, Path) and isinstance(other, Path):
        return one.resolve() == other.resolve()
    return one == other
