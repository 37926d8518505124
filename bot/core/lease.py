"""One bot per database: a lease row, per shard range, renewed while the bot runs.

Two bot processes on one database (an old container left running) would both answer
every interaction and count everything twice. An OS file lock does not hold on network
volumes or across hosts, so the lease is a row: a random owner token, the host and pid
to name in the refusal, and a heartbeat renewed every few seconds. A lease nobody renewed
for ``STALE_AFTER_S`` belongs to a dead process and is taken over, so a container
restarted after a crash waits at most that long. Ranges of shards make room for several
processes, each serving its own shards: a lease is refused only while a live one's range
shares a guild with it (``ShardRange.overlaps``, exact across different shard counts).
The console and backups never take the lease; `db restore` takes it for every shard while
it swaps the database, so no bot starts on a half-restored one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import datetime
from typing import Protocol

from bot.core.clock import Sleep
from bot.core.shards import ShardRange
from bot.storage import Database, DatabaseError, leases
from bot.storage.leases import LeaseRow

log = logging.getLogger(__name__)

RENEW_EVERY_S = 5.0
STALE_AFTER_S = 15.0


class LeaseContext(Protocol):
    """What a lease needs: the database and the time. The bot passes its ``CoreContext``;
    `db restore` its own (it has no course)."""

    @property
    def db(self) -> Database: ...

    def now(self) -> datetime: ...


class LeaseHeld(Exception):
    """Another live bot process serves these shards; the message names it."""


class Lease:
    """Held from ``acquire`` until ``release``; ``keep`` renews it and sets ``lost`` if
    another process took it over meanwhile (this one was frozen for too long)."""

    def __init__(self, ctx: LeaseContext, shards: ShardRange, sleep: Sleep = asyncio.sleep) -> None:
        self.shards = shards
        self.lost = asyncio.Event()
        self._ctx = ctx
        self._sleep = sleep
        self._owner = secrets.token_hex(16)

    async def acquire(self) -> None:
        now = self._ctx.now().timestamp()
        async with self._ctx.db.transaction() as conn:
            for row in await leases.all_leases(conn):
                theirs = ShardRange(row.first_shard, row.last_shard, row.shard_count)
                if not theirs.overlaps(self.shards):
                    continue
                silent = now - row.renewed_at
                if silent < STALE_AFTER_S:
                    raise LeaseHeld(
                        f"another bot process (host {row.host}, pid {row.pid}) serves "
                        f"{theirs} of this database (seen {max(silent, 0):.0f} s ago); stop "
                        f"it first, or wait {STALE_AFTER_S:.0f} s if it has died"
                    )
                log.warning(
                    "taking over the lease of host %s pid %s (silent for %.0f s)",
                    row.host, row.pid, silent,
                )  # fmt: skip
                await leases.delete(conn, row.owner)
            s = self.shards
            mine = LeaseRow(self._owner, s.first, s.last, s.count, socket.gethostname(),
                            os.getpid(), now)  # fmt: skip
            await leases.put(conn, mine)

    async def keep(self) -> None:
        """Renew until cancelled; a failed write is retried at the next beat."""
        while True:
            await self._sleep(RENEW_EVERY_S)
            try:
                async with self._ctx.db.transaction() as conn:
                    held = await leases.renew(conn, self._owner, self._ctx.now().timestamp())
            except DatabaseError as exc:
                log.warning("could not renew the database lease (will retry): %s", exc)
                continue
            if not held:
                log.error("the database lease was taken over by another process: stopping")
                self.lost.set()
                return

    async def release(self) -> None:
        try:
            async with self._ctx.db.transaction() as conn:
                await leases.delete(conn, self._owner)
        except DatabaseError as exc:  # it goes stale by itself
            log.warning("could not release the database lease: %s", exc)
