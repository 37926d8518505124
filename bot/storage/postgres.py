"""The PostgreSQL engine: a pool of asyncpg connections, for several bot processes.

``transaction()`` takes a pooled connection, begins, and first takes transaction-scoped
advisory locks, so that the guarantees the core was built on (a read-modify-write loses
nothing, a daily-prompt claim is taken once) hold as they do on SQLite, across every
process. An unscoped transaction takes the database's lock (``WRITE_LOCK_KEY``)
exclusively: it runs alone. A scoped one takes that lock shared, then its scope's lock
exclusively: it runs one at a time with its scope's transactions and never beside an
unscoped one, but beside other scopes' (a guild's learners do not wait for another
guild's). The shared lock is always taken first, in the same statement, so no two
transactions can each wait for the other. Reads outside a transaction (``fetchone``,
``fetchall``, ``stream``) run side by side. The server releases the locks at COMMIT or
ROLLBACK, and when a dead process's connection ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, TypeVar

import asyncpg

from bot.storage.connection import Connection, Cursor, DatabaseError, Row, Statement
from bot.storage.db import Database, StorageError
from bot.storage.dialect import postgres_query, postgres_schema, returns_rows
from bot.storage.migrations import Migration
from bot.storage.target import PostgresUrl

# Any 64-bit number of our own: "tutor" in ASCII.
WRITE_LOCK_KEY = 0x7475746F72
# A scope's lock is (SCOPE_LOCK_CLASS, the scope folded to 32 bits): PostgreSQL keeps
# two-key advisory locks apart from one-key ones. Two scopes that fold alike only wait
# for each other.
SCOPE_LOCK_CLASS = 0x7475
# The shared lock before the scope's: the CTE's row is made before the outer target list.
_SCOPED_LOCKS = (
    "WITH whole AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(?) AS taken) "
    "SELECT pg_advisory_xact_lock(?, ?) FROM whole"
)
POOL_SIZE = 10
CONNECT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 10.0
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)
VERSION_TABLE = "schema_version"
T = TypeVar("T")


class PostgresConnection:
    """One pooled asyncpg connection behind the shared ``Connection`` interface."""

    def __init__(self, raw: asyncpg.Connection) -> None:
        self._raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Statement:
        return Statement(lambda: self.run(sql, params))

    async def run(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        query = postgres_query(sql)
        if returns_rows(sql):
            records = await _driven(self._raw.fetch(query, *params))
            return Cursor([_row(record) for record in records], len(records))
        return Cursor([], _rowcount(await _driven(self._raw.execute(query, *params))))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await _driven(self._raw.executemany(postgres_query(sql), list(rows)))


class PostgresDatabase(Database):
    def __init__(self, pool: asyncpg.Pool, url: PostgresUrl) -> None:
        self._pool = pool
        self.url = url
        self.name = url.redacted()

    @classmethod
    async def connect(cls, url: PostgresUrl, migrations: Sequence[Migration]) -> PostgresDatabase:
        """Connect and migrate; a server that is down or refuses us is one clear line."""
        try:
            pool = await asyncpg.create_pool(
                url.url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT_S
            )
        except (*DRIVER_ERRORS, ValueError) as exc:
            raise StorageError(f"{url}: cannot connect: {url.scrub(str(exc))}") from exc
        db = cls(pool, url)
        await db._prepared(migrations)
        return db

    async def _prepare(self, migrations: Sequence[Migration]) -> None:
        await self._refuse_newer(migrations)
        await self._migrate(migrations)

    def _scrub(self, text: str) -> str:
        return self.url.scrub(text)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self._pool.close(), CLOSE_TIMEOUT_S)
        except TimeoutError:
            self._pool.terminate()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            raw = await self._pool.acquire()
        except DRIVER_ERRORS as exc:
            raise DatabaseError(self.url.scrub(str(exc))) from exc
        try:
            yield raw
        finally:
            await self._pool.release(raw)

    @asynccontextmanager
    async def transaction(self, scope: int | None = None) -> AsyncIterator[Connection]:
        """A cancelled or failed block is rolled back; a connection that broke on the
        way is dropped by the pool, and the server rolls back what it held."""
        async with self._connection() as raw:
            conn = PostgresConnection(raw)
            transaction = raw.transaction()
            await _driven(transaction.start())
            try:
                if scope is None:
                    await conn.run("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK_KEY,))
                else:
                    keys = (WRITE_LOCK_KEY, SCOPE_LOCK_CLASS, scope_key(scope))
                    await conn.run(_SCOPED_LOCKS, keys)
                yield conn
            except BaseException:
                await _rollback(transaction)
                raise
            await _driven(asyncio.shield(transaction.commit()))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._connection() as raw:
            return await (await PostgresConnection(raw).run(sql, params)).fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as raw:
            return await (await PostgresConnection(raw).run(sql, params)).fetchall()

    @asynccontextmanager
    async def stream(
        self, sql: str, params: Sequence[Any] = (), *, batch_size: int
    ) -> AsyncIterator[AsyncIterator[list[Row]]]:
        """A server-side cursor, which lives in a transaction: read-only and REPEATABLE
        READ (one snapshot for the whole read), without the write lock (writers go on).
        It is rolled back when the block ends, and the connection goes back to the pool
        (which resets a connection given back inside a transaction)."""
        async with self._connection() as raw:
            transaction = raw.transaction(isolation="repeatable_read", readonly=True)
            await _driven(transaction.start())
            try:
                cursor = await _driven(raw.cursor(postgres_query(sql), *params))
                yield _batches(cursor, batch_size)
            finally:
                await _rollback(transaction)

    async def schema_version(self) -> int:
        async with self._connection() as raw:
            return await self._schema_version_in(PostgresConnection(raw))

    async def _schema_version_in(self, conn: Connection) -> int:
        # A catalog query, not to_regclass(): a prepared statement may keep a stable
        # function's planned value, and would go on saying "no table" after it exists.
        exists = await (
            await conn.execute(
                "SELECT count(*) FROM pg_catalog.pg_tables"
                " WHERE schemaname = current_schema() AND tablename = ?",
                (VERSION_TABLE,),
            )
        ).fetchone()
        if not exists or not exists[0]:
            return 0
        row = await (await conn.execute(f"SELECT version FROM {VERSION_TABLE}")).fetchone()
        return int(row[0]) if row else 0

    async def _set_schema_version(self, conn: Connection, version: int) -> None:
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE}"
            " (one BIGINT PRIMARY KEY CHECK (one = 1), version BIGINT NOT NULL)"
        )
        await conn.execute(
            f"INSERT INTO {VERSION_TABLE} (one, version) VALUES (1, ?)"
            " ON CONFLICT (one) DO UPDATE SET version = excluded.version",
            (version,),
        )

    def _schema_statement(self, sql: str) -> str:
        return postgres_schema(sql)


async def _driven(step: Awaitable[T]) -> T:
    """``step``'s result; the driver's errors become ``DatabaseError`` (the core knows
    no driver)."""
    try:
        return await step
    except DRIVER_ERRORS as exc:
        raise DatabaseError(str(exc)) from exc


async def _rollback(transaction: Any) -> None:
    """Roll back if the connection still can; if it broke, the pool drops it and the
    server has already rolled back."""
    try:
        await asyncio.shield(transaction.rollback())
    except DRIVER_ERRORS:
        pass


def scope_key(scope: int) -> int:
    """A signed 32-bit key for ``scope`` (a guild's 64-bit id): its two halves XORed."""
    folded = (scope ^ (scope >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


async def _batches(cursor: Any, size: int) -> AsyncIterator[list[Row]]:
    while records := await _driven(cursor.fetch(size)):
        yield [_row(record) for record in records]


def _row(record: asyncpg.Record) -> Row:
    return tuple(_plain(value) for value in record)


def _plain(value: Any) -> Any:
    """PostgreSQL sums integers into ``numeric``; give back what SQLite would (an int, or
    a float for a fraction) so the core sees the same numbers on both engines."""
    if type(value) is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _rowcount(status: str) -> int:
    """``UPDATE 3`` / ``INSERT 0 1`` / ``DELETE 2``: the rows changed (-1: not a change)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1
