"""The ``leases`` table: one row per running bot process, renewed while it runs."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.connection import Connection
from bot.storage.dialect import upsert


@dataclass(frozen=True)
class LeaseRow:
    owner: str
    first_shard: int
    last_shard: int
    shard_count: int  # 0: every shard (one process serves the whole bot)
    host: str
    pid: int
    renewed_at: float


async def all_leases(conn: Connection) -> list[LeaseRow]:
    async with conn.execute(
        "SELECT owner, first_shard, last_shard, shard_count, host, pid, renewed_at FROM leases"
    ) as cursor:
        return [LeaseRow(*row) for row in await cursor.fetchall()]


async def put(conn: Connection, row: LeaseRow) -> None:
    await conn.execute(
        upsert("leases", "owner, first_shard, last_shard, shard_count, host, pid, renewed_at",
               "owner"),
        (row.owner, row.first_shard, row.last_shard, row.shard_count, row.host, row.pid,
         row.renewed_at),
    )  # fmt: skip


async def renew(conn: Connection, owner: str, renewed_at: float) -> bool:
    """False when the row is gone: another process took the lease over."""
    cursor = await conn.execute(
        "UPDATE leases SET renewed_at = ? WHERE owner = ?", (renewed_at, owner)
    )
    return cursor.rowcount == 1


async def delete(conn: Connection, owner: str) -> None:
    await conn.execute("DELETE FROM leases WHERE owner = ?", (owner,))


async def delete_all(conn: Connection) -> None:
    """A restored database starts with no lease: the processes in its rows are not the
    ones that will serve it."""
    await conn.execute("DELETE FROM leases")
