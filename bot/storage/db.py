"""The database the core is given: one interface, two engines, one list of migrations.

``Database.open(target)`` picks the engine from the setting: a ``postgresql://`` URL is
PostgreSQL (``postgres``), anything else a SQLite file path (``sqlite``). Both keep the
same guarantees, so the core never asks which it has:

- every write happens in ``transaction()``: all or nothing, and write transactions run
  one at a time across every process sharing the database (SQLite's write lock; a
  transaction-scoped advisory lock on PostgreSQL), so a read-modify-write never loses an
  update. A transaction given a ``scope`` (the core gives a guild's id) promises to touch
  only that scope's rows: it runs one at a time with the transactions of its scope and
  with every unscoped one, but PostgreSQL runs it beside other scopes' (SQLite has one
  writer whatever the scope);
- a task cancelled inside a transaction never leaves it open;
- ``stream()`` reads a large result a batch at a time from one snapshot, without
  taking the write lock, and gives its connection back however its block ends;
- the schema is the numbered ``MIGRATIONS``, applied in order, each in its own
  transaction; a database written by a newer bot is refused untouched.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.storage.connection import Connection, DatabaseError, Row
from bot.storage.migrations import MIGRATIONS, Migration
from bot.storage.target import DatabaseTarget, PostgresUrl, parse_target


class StorageError(Exception):
    """The database cannot be used; the message says why, and nothing was changed."""


class Database(ABC):
    """What the core uses of a database; ``name`` is safe to print (no password)."""

    name: str

    @staticmethod
    async def open(
        target: DatabaseTarget | str, migrations: Sequence[Migration] = MIGRATIONS
    ) -> Database:
        """Open and migrate the database ``target`` names (a path, or a PostgreSQL URL)."""
        if isinstance(target, str):
            target = parse_target(target)
        if isinstance(target, PostgresUrl):
            from bot.storage.postgres import PostgresDatabase

            return await PostgresDatabase.connect(target, migrations)
        from bot.storage.sqlite import SqliteDatabase

        return await SqliteDatabase.connect(target, migrations)

    @abstractmethod
    def transaction(self, scope: int | None = None) -> AbstractAsyncContextManager[Connection]:
        """One atomic unit of work; the connection is yours until the block ends.
        ``scope``: see the module's docstring; without it, the transaction runs alone."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    def stream(
        self, sql: str, params: Sequence[Any] = (), *, batch_size: int
    ) -> AbstractAsyncContextManager[AsyncIterator[list[Row]]]:
        """One ``SELECT``'s rows in lists of at most ``batch_size``, all from one snapshot,
        so that a whole table is never held in memory (``db copy``). The block holds a
        connection (SQLite: this process's only one, so make no other call on this
        database inside it) and gives it back when it ends, early or cancelled."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def schema_version(self) -> int:
        """The last migration applied (0: an empty database)."""

    @abstractmethod
    async def _schema_version_in(self, conn: Connection) -> int:
        """``schema_version`` read inside a transaction."""

    @abstractmethod
    async def _set_schema_version(self, conn: Connection, version: int) -> None: ...

    @abstractmethod
    def _schema_statement(self, sql: str) -> str:
        """A migration statement in this engine's dialect."""

    @abstractmethod
    async def _prepare(self, migrations: Sequence[Migration]) -> None:
        """Everything between connecting and being ready: at least ``_refuse_newer`` and
        ``_migrate``."""

    def _scrub(self, text: str) -> str:
        """``text`` (a driver's message) made safe to print."""
        return text

    async def _prepared(self, migrations: Sequence[Migration]) -> None:
        """``_prepare``; on any failure the database is closed again and the reason is
        one line (``StorageError``)."""
        try:
            await self._prepare(migrations)
        except DatabaseError as exc:
            await self.close()
            raise StorageError(f"{self.name}: unusable database: {self._scrub(str(exc))}") from exc
        except BaseException:
            await self.close()
            raise

    async def write_probe(self) -> None:
        """One small write, committed: proof the database takes writes now."""
        version = await self.schema_version()
        async with self.transaction() as conn:
            await self._set_schema_version(conn, version)  # rewrites the same value

    async def _refuse_newer(self, migrations: Sequence[Migration]) -> None:
        """A database written by a newer bot is refused without a byte changed."""
        current = await self.schema_version()
        latest = max((m.version for m in migrations), default=0)
        if current > latest:
            raise StorageError(
                f"{self.name}: schema version {current} is newer than this bot knows "
                f"({latest}); upgrade the bot"
            )

    async def _migrate(self, migrations: Sequence[Migration]) -> None:
        current = await self.schema_version()
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version <= current:
                continue
            async with self.transaction() as conn:
                if await self._schema_version_in(conn) >= migration.version:
                    continue  # another process starting at the same time applied it
                for statement in _statements(migration.sql):
                    await conn.execute(self._schema_statement(statement))
                await self._set_schema_version(conn, migration.version)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (run one by one, in one transaction)."""
    return [s.strip() for s in script.split(";") if s.strip()]
