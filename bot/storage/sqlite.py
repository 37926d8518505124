"""The SQLite engine: one aiosqlite connection per process, WAL, foreign keys.

``transaction()``: an asyncio lock serialises the coroutines of this process (they share
one connection, hence one transaction), ``BEGIN IMMEDIATE`` takes SQLite's write lock up
front so a second process waits (``busy_timeout``) instead of failing half-way, and any
exception rolls the whole unit back.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import aiosqlite

from bot.storage.connection import Connection, Cursor, DatabaseError, Row, Statement
from bot.storage.db import Database, StorageError
from bot.storage.dialect import returns_rows
from bot.storage.migrations import Migration

BUSY_TIMEOUT_MS = 10_000


class SqliteConnection:
    """aiosqlite's connection behind the shared ``Connection`` interface."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Statement:
        return Statement(lambda: self.run(sql, params))

    async def run(self, sql: str, params: Sequence[Any]) -> Cursor:
        try:
            async with self._conn.execute(sql, params) as cursor:
                rows = cast(list[Row], await cursor.fetchall()) if returns_rows(sql) else []
                return Cursor(rows, cursor.rowcount)
        except sqlite3.Error as exc:
            raise DatabaseError(str(exc)) from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            await self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise DatabaseError(str(exc)) from exc


class SqliteDatabase(Database):
    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._shared = SqliteConnection(conn)
        self._lock = asyncio.Lock()
        self.path = path
        self.name = str(path)

    @classmethod
    async def connect(cls, path: Path, migrations: Sequence[Migration]) -> SqliteDatabase:
        """Open (creating folder and file if needed) and migrate the database at ``path``."""
        await asyncio.to_thread(_prepare_path, path)
        try:
            # The busy timeout from the first statement on: another process may be
            # migrating or writing while this one reads the schema version.
            conn = await aiosqlite.connect(
                path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            raise StorageError(f"{path}: cannot open database: {exc}") from exc
        db = cls(conn, path)
        await db._prepared(migrations)
        return db

    async def _prepare(self, migrations: Sequence[Migration]) -> None:
        await self._refuse_newer(migrations)  # before any pragma that writes the header
        await self._configure()
        await self._migrate(migrations)
        await self._check_writable()

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def _configure(self) -> None:
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = NORMAL",
        ):
            await self._shared.run(pragma, ())

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        assert row is not None
        version: int = row[0]
        return version

    async def _schema_version_in(self, conn: Connection) -> int:
        row = await (await conn.execute("PRAGMA user_version")).fetchone()
        assert row is not None
        version: int = row[0]
        return version

    async def _set_schema_version(self, conn: Connection, version: int) -> None:
        await conn.execute(f"PRAGMA user_version = {int(version)}")

    def _schema_statement(self, sql: str) -> str:
        return sql

    async def _check_writable(self) -> None:
        """Refuse at start a database this process cannot write (a file restored as root
        for a bot running as another user), rather than answer every command "Sorry"."""
        try:
            await self.write_probe()
        except DatabaseError as exc:
            raise StorageError(
                f"{self.path}: cannot write to the database ({exc}); check the owner and "
                "permissions of the file and its folder"
            ) from exc

    @asynccontextmanager
    async def transaction(self, scope: int | None = None) -> AsyncIterator[SqliteConnection]:
        """A task cancelled at any point (a shutdown cancelling the heartbeat mid-write)
        never leaves the transaction open: aiosqlite runs a statement to its end in its
        thread whatever happens to the task awaiting it, so a BEGIN that ran is rolled
        back before the cancellation goes on. Left open, it would hold the write lock for
        good and every other connection would fail with "database is locked". ``scope``
        changes nothing here: SQLite has one writer whatever the scope."""
        async with self._lock:
            try:
                await self._step("BEGIN IMMEDIATE")
            except asyncio.CancelledError:
                if self._conn.in_transaction:
                    await self._step("ROLLBACK")
                raise
            try:
                yield self._shared
            except BaseException:
                await self._step("ROLLBACK")
                raise
            await self._step("COMMIT")

    async def _step(self, sql: str) -> None:
        """Run ``sql`` to its end even if the caller is cancelled meanwhile (then the
        cancellation is raised once it has run)."""
        step = asyncio.ensure_future(self._shared.run(sql, ()))
        try:
            await asyncio.shield(step)
        except asyncio.CancelledError:
            await asyncio.wait({step})
            raise

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._lock:
            return await (await self._shared.execute(sql, params)).fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._lock:
            return await (await self._shared.execute(sql, params)).fetchall()

    @asynccontextmanager
    async def stream(
        self, sql: str, params: Sequence[Any] = (), *, batch_size: int
    ) -> AsyncIterator[AsyncIterator[list[Row]]]:
        """One statement open for the block, under this process's lock: SQLite keeps its
        read snapshot until the statement is closed, and a writer elsewhere (WAL) neither
        waits for it nor shows in it."""
        async with self._lock:
            try:
                cursor = await self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise DatabaseError(str(exc)) from exc
            try:
                yield _batches(cursor, batch_size)
            finally:
                await cursor.close()

    async def backup(self, target: Path) -> None:
        """Copy a consistent snapshot with SQLite's online backup API (safe while running)."""
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        async with self._lock, aiosqlite.connect(target) as dest:
            await self._conn.backup(dest)


async def _batches(cursor: aiosqlite.Cursor, size: int) -> AsyncIterator[list[Row]]:
    while True:
        try:
            rows = cast(list[Row], await cursor.fetchmany(size))
        except sqlite3.Error as exc:
            raise DatabaseError(str(exc)) from exc
        if not rows:
            return
        yield rows


def _prepare_path(path: Path) -> None:
    """Create the folder; refuse a file that is not SQLite before SQLite touches it, so a
    corrupt or foreign file is left exactly as it was (no WAL files created beside it)."""
    if path.exists() and not path.is_file():
        raise StorageError(f"{path}: is not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"{path}: cannot create its folder: {exc.strerror}") from exc
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(16)
    except OSError as exc:
        raise StorageError(f"{path}: cannot read database: {exc.strerror}") from exc
    if header and header != b"SQLite format 3\x00":
        raise StorageError(f"{path}: not a SQLite database (corrupt or wrong file); left as is")
