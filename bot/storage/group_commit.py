"""Group commit: many small writes that must each be durable before they are
acknowledged share one transaction.

A thousand students clicking in the same second cannot each wait for their own commit
(one fsync each, one after another). Writes queue up while a transaction is in flight and
all go in the next one, so a click waits for at most two commits however many arrive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from bot.storage.connection import Connection
from bot.storage.db import Database

T = TypeVar("T")
Write = Callable[[Connection, list[T]], Awaitable[None]]


class GroupCommit(Generic[T]):
    def __init__(self, db: Database, write: Write[T]) -> None:
        self._db = db
        self._write = write
        self._pending: list[tuple[T, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Return once ``item`` is committed; raise what the write raised otherwise."""
        done = asyncio.get_running_loop().create_future()
        self._pending.append((item, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="group-commit")
        await done

    async def drain(self) -> None:
        """Wait until everything submitted so far is committed or has failed."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.wait({self._flusher})

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self._db.transaction() as conn:
                    await self._write(conn, [item for item, _ in batch])
            except Exception as exc:
                _settle(batch, exc)
            except BaseException:  # cancelled at shutdown: nobody may wait forever
                _settle(batch + self._pending, RuntimeError("shutting down"))
                self._pending = []
                raise
            else:
                _settle(batch, None)


def _settle(batch: list[tuple[T, asyncio.Future[None]]], failure: Exception | None) -> None:
    for _, done in batch:
        if done.done():  # its caller gave up waiting
            continue
        if failure is None:
            done.set_result(None)
        else:
            done.set_exception(failure)
