"""Write transactions with a scope (the core gives a guild's id) on PostgreSQL: one at a
time within a scope and with every unscoped transaction, side by side across scopes. On
SQLite there is one writer whatever the scope (the rest of the suite runs on it)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.storage import Database
from bot.storage.postgres import scope_key
from bot.storage.target import PostgresUrl

HANG_GUARD_S = 60  # only ends a test that would otherwise wait forever


@pytest.fixture
async def db(postgres_url: PostgresUrl) -> AsyncIterator[Database]:
    database = await Database.open(postgres_url)
    yield database
    await database.close()


async def waiting_for_a_lock(db: Database, count: int) -> None:
    """Until ``count`` of the server's advisory lock requests are queued, not granted."""
    async with asyncio.timeout(HANG_GUARD_S):
        while True:
            row = await db.fetchone(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            if row is not None and row[0] == count:
                return
            await asyncio.sleep(0.01)  # the server announces no lock queue change


async def enter(db: Database, scope: int | None) -> None:
    async with db.transaction(scope):
        pass


async def test_two_scopes_write_side_by_side(db: Database) -> None:
    async with db.transaction(1):
        async with asyncio.timeout(HANG_GUARD_S):  # would wait forever if they excluded
            await enter(db, 2)


async def test_a_scope_writes_one_transaction_at_a_time(db: Database) -> None:
    async with db.transaction(1):
        second = asyncio.create_task(enter(db, 1))
        await waiting_for_a_lock(db, 1)
        assert not second.done()
    await second


@pytest.mark.parametrize(("first", "then"), [(None, 1), (1, None), (None, None)])
async def test_an_unscoped_transaction_runs_alone(
    db: Database, first: int | None, then: int | None
) -> None:
    async with db.transaction(first):
        waiting = asyncio.create_task(enter(db, then))
        await waiting_for_a_lock(db, 1)
        assert not waiting.done()
    await waiting


async def test_a_scoped_transaction_queued_behind_an_unscoped_one_cannot_deadlock(
    db: Database,
) -> None:
    """Scope 1 is open; an unscoped transaction waits for it; a second scope-1
    transaction queues behind both. Each lock is taken shared-first, so all three end."""
    async with db.transaction(1):
        alone = asyncio.create_task(enter(db, None))
        await waiting_for_a_lock(db, 1)
        same_scope = asyncio.create_task(enter(db, 1))
        await waiting_for_a_lock(db, 2)
    async with asyncio.timeout(HANG_GUARD_S):
        await asyncio.gather(alone, same_scope)


GUILD_IDS = [0, 1, -1, 2**31, 2**32 + 5, 2**63 - 1, 1_180_000_000_000_000_000]


@pytest.mark.parametrize("scope", GUILD_IDS)
def test_any_guild_id_folds_into_a_32_bit_lock_key(scope: int) -> None:
    assert -(2**31) <= scope_key(scope) < 2**31
