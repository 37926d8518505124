"""What the repository functions see of a database, whichever engine is behind it.

Every ``bot/storage`` module is written against this small interface (the subset of
aiosqlite's that they use), so one function serves SQLite and PostgreSQL alike:
``await conn.execute(sql, params)`` (or ``async with``) gives a ``Cursor`` holding the
rows already fetched and the number of rows changed. SQL is written once, in the
portable subset both engines share, with ``?`` placeholders (see ``dialect``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from types import TracebackType
from typing import Any, Protocol

Row = tuple[Any, ...]


class DatabaseError(Exception):
    """A statement failed: the engine refused it or could not be reached. The unit of
    work it belonged to is rolled back; the message names the engine's reason."""


class Cursor:
    """The result of one statement, read in full (both engines return small results)."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Row]:
        return self._rows


class Statement:
    """One statement on its way: awaitable, or an ``async with`` block (as aiosqlite's)."""

    def __init__(self, run: Callable[[], Awaitable[Cursor]]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        return await self._run()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None


class Connection(Protocol):
    """A connection inside one transaction (``Database.transaction``)."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Statement: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


async def insert_returning_id(conn: Connection, sql: str, params: Sequence[Any]) -> int:
    """Run an ``INSERT`` into a table with an auto ``id``; the new row's id (both engines
    take ``RETURNING``, and neither needs a second round trip)."""
    row = await (await conn.execute(f"{sql} RETURNING id", params)).fetchone()
    assert row is not None
    return int(row[0])
