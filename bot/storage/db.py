"""One aiosqlite connection per process: WAL, foreign keys, migrations, transactions.

All writes go through ``transaction()``: an asyncio lock serialises the coroutines of
this process (they share one connection, hence one transaction), ``BEGIN IMMEDIATE``
takes SQLite's write lock up front so a second process waits (``busy_timeout``) instead
of failing half-way, and any exception rolls the whole unit back.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.migrations import MIGRATIONS, Migration

BUSY_TIMEOUT_MS = 10_000


class StorageError(Exception):
    """The database cannot be used; the message says why, and nothing was changed."""


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path

    @classmethod
    async def open(cls, path: Path | str, migrations: Sequence[Migration] = MIGRATIONS) -> Database:
        """Open (creating folder and file if needed) and migrate the database at ``path``."""
        path = Path(path)
        await asyncio.to_thread(_prepare_path, path)
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"{path}: cannot open database: {exc}") from exc
        db = cls(conn, path)
        try:
            await db._refuse_newer(migrations)  # before any pragma that writes the header
            await db._configure()
            await db._migrate(migrations)
            await db._check_writable()
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise StorageError(f"{path}: unusable database: {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    async def _configure(self) -> None:
        await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await self._conn.execute("PRAGMA journal_mode = WAL")
        await self._conn.execute("PRAGMA foreign_keys = ON")
        await self._conn.execute("PRAGMA synchronous = NORMAL")

    async def user_version(self) -> int:
        version: int = (await self.fetchone("PRAGMA user_version"))[0]
        return version

    async def _refuse_newer(self, migrations: Sequence[Migration]) -> None:
        """A database written by a newer bot is refused without a byte changed."""
        current = await self.user_version()
        latest = max((m.version for m in migrations), default=0)
        if current > latest:
            raise StorageError(
                f"{self.path}: schema version {current} is newer than this bot knows "
                f"({latest}); upgrade the bot"
            )

    async def _migrate(self, migrations: Sequence[Migration]) -> None:
        current = await self.user_version()
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version <= current:
                continue
            async with self.transaction() as tx:
                for statement in _statements(migration.sql):
                    await tx.execute(statement)
                await tx.execute(f"PRAGMA user_version = {migration.version}")

    async def _check_writable(self) -> None:
        """Refuse at start a database this process cannot write (a file restored as root
        for a bot running as another user), rather than answer every command "Sorry"."""
        try:
            await self.write_probe()
        except sqlite3.OperationalError as exc:
            raise StorageError(
                f"{self.path}: cannot write to the database ({exc}); check the owner and "
                "permissions of the file and its folder"
            ) from exc

    async def write_probe(self) -> None:
        """One small write, committed: proof the database takes writes now."""
        version = await self.user_version()
        async with self.transaction() as tx:
            await tx.execute(f"PRAGMA user_version = {version}")  # rewrites the same value

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic unit of work; the connection is yours until the block ends.

        A task cancelled at any point (a shutdown cancelling the heartbeat mid-write) never
        leaves the transaction open: aiosqlite runs a statement to its end in its thread
        whatever happens to the task awaiting it, so a BEGIN that ran is rolled back
        before the cancellation goes on. Left open, it would hold the write lock for good
        and every other connection would fail with "database is locked".
        """
        async with self._lock:
            try:
                await self._step("BEGIN IMMEDIATE")
            except asyncio.CancelledError:
                if self._conn.in_transaction:
                    await self._step("ROLLBACK")
                raise
            try:
                yield self._conn
            except BaseException:
                await self._step("ROLLBACK")
                raise
            await self._step("COMMIT")

    async def _step(self, sql: str) -> None:
        """Run ``sql`` to its end even if the caller is cancelled meanwhile (then the
        cancellation is raised once it has run)."""
        step = asyncio.ensure_future(self._conn.execute(sql))
        try:
            await asyncio.shield(step)
        except asyncio.CancelledError:
            await asyncio.wait({step})
            raise

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def backup(self, target: Path) -> None:
        """Copy a consistent snapshot with SQLite's online backup API (safe while running)."""
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        async with self._lock, aiosqlite.connect(target) as dest:
            await self._conn.backup(dest)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (executescript would COMMIT implicitly)."""
    return [s.strip() for s in script.split(";") if s.strip()]


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
