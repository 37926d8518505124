"""One bot per database: the lease a Discord bot process takes before it serves."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from bot.core.lease import STALE_AFTER_S, LeaseHeld
from bot.core.shards import EVERY_SHARD, ShardRange
from tests.conftest import both_engines
from tests.factories import FakeClock, ManualTimer, open_tutor

pytestmark = both_engines


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_a_second_tutor_on_the_same_database_is_refused_naming_the_first(
    tmp_path, clock, database_target
) -> None:
    first = await open_tutor(tmp_path, clock, database=database_target)
    second = await open_tutor(tmp_path, clock, database=database_target)
    try:
        await first.take_lease(EVERY_SHARD)
        with pytest.raises(LeaseHeld) as refused:
            await second.take_lease(EVERY_SHARD)
        message = str(refused.value)
        assert f"host {socket.gethostname()}, pid {os.getpid()}" in message
        assert "\n" not in message
    finally:
        await second.close()
        await first.close()


async def test_a_closed_tutor_leaves_the_lease_free(tmp_path, clock, database_target) -> None:
    first = await open_tutor(tmp_path, clock, database=database_target)
    await first.take_lease(EVERY_SHARD)
    await first.close()
    second = await open_tutor(tmp_path, clock, database=database_target)
    try:
        await second.take_lease(EVERY_SHARD)  # no refusal
    finally:
        await second.close()


async def test_a_lease_nobody_renews_for_15_seconds_is_taken_over(
    tmp_path, clock, database_target
) -> None:
    crashed = await open_tutor(tmp_path, clock, database=database_target)
    await crashed.take_lease(EVERY_SHARD)
    await crashed.tasks.close()  # the process died: no more renewals, row left behind
    successor = await open_tutor(tmp_path, clock, database=database_target)
    try:
        clock.advance(seconds=STALE_AFTER_S - 1)
        with pytest.raises(LeaseHeld):
            await successor.take_lease(EVERY_SHARD)
        clock.advance(seconds=1)
        await successor.take_lease(EVERY_SHARD)
    finally:
        await successor.close()
        await crashed.ctx.db.close()


async def test_renewals_keep_a_live_lease_and_a_taken_over_one_is_reported_lost(
    tmp_path, clock, database_target
) -> None:
    timer = ManualTimer(clock)
    live = await open_tutor(tmp_path, clock, database=database_target)
    live.sleep = timer.sleep
    lease = await live.take_lease(EVERY_SHARD)
    other = await open_tutor(tmp_path, clock, database=database_target)
    try:
        for _ in range(5):  # 25 s of renewals: the lease stays live throughout
            await timer.advance_until_asleep()
            with pytest.raises(LeaseHeld):
                await other.take_lease(EVERY_SHARD)
        clock.advance(seconds=STALE_AFTER_S)  # this process froze; the other takes over
        await other.take_lease(EVERY_SHARD)
        await timer.advance()
        await asyncio.wait_for(lease.lost.wait(), timeout=30)
    finally:
        await other.close()
        await live.close()


async def test_processes_on_disjoint_shards_share_a_database_and_an_overlap_is_refused(
    tmp_path, clock, database_target
) -> None:
    low, high, across = [
        await open_tutor(tmp_path, clock, database=database_target) for _ in range(3)
    ]
    try:
        await low.take_lease(ShardRange(0, 3, 8))
        await high.take_lease(ShardRange(4, 7, 8))
        # Shard 12 of 16 holds guilds of shard 4 of 8 (12 % 8): re-sharding while the
        # old processes run would answer their guilds twice.
        with pytest.raises(LeaseHeld, match=r"serves shards 4-7/8 of this database"):
            await across.take_lease(ShardRange(12, 12, 16))
    finally:
        await across.close()
        await high.close()
        await low.close()
