"""Shard ranges: which guilds a bot process serves, and which ranges may run side by side."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core.context import CONSOLE_GUILD
from bot.core.shards import EVERY_SHARD, ShardRange, shard_of
from bot.discord.client import discord_guilds

NO_FILE = Path("/nonexistent/config.yaml")


def guild_on(shard: int, count: int, n: int = 0) -> int:
    """The ``n``-th snowflake on ``shard`` of ``count``: its timestamp bits pick the shard."""
    return ((shard + n * count) << 22) | 12345


def test_a_guild_is_on_the_shard_discord_computes() -> None:
    # Discord's formula: (guild_id >> 22) % shard_count; the low 22 bits never matter.
    assert shard_of(41771983423143937, 1) == 0
    assert shard_of(41771983423143937, 8) == (41771983423143937 >> 22) % 8
    assert shard_of(guild_on(5, 8), 8) == 5
    assert shard_of(guild_on(5, 8, n=3) | 0x3FFFFF, 8) == 5


def test_a_range_holds_the_guilds_of_its_shards_only() -> None:
    low = ShardRange(0, 3, 8)
    assert all(low.holds(guild_on(shard, 8, n)) for shard in range(4) for n in range(3))
    assert not any(low.holds(guild_on(shard, 8, n)) for shard in range(4, 8) for n in range(3))
    assert ShardRange(5, 5, 8).holds(guild_on(5, 8)) and not ShardRange(5, 5, 8).holds(
        guild_on(4, 8)
    )
    assert EVERY_SHARD.holds(guild_on(7, 8)) and EVERY_SHARD.holds(0)


def test_disjoint_ranges_split_every_guild_between_them() -> None:
    halves = (ShardRange(0, 0, 2), ShardRange(1, 1, 2))
    for guild in (guild_on(shard, 2, n) for shard in range(2) for n in range(4)):
        assert sum(half.holds(guild) for half in halves) == 1


def test_the_discord_bot_looks_after_its_shards_guilds_and_never_the_consoles() -> None:
    first, second = discord_guilds(ShardRange(0, 0, 2)), discord_guilds(ShardRange(1, 1, 2))
    assert first(guild_on(0, 2)) and not second(guild_on(0, 2))
    assert second(guild_on(1, 2, n=5)) and not first(guild_on(1, 2, n=5))
    assert shard_of(CONSOLE_GUILD, 2) == 0 and not first(CONSOLE_GUILD)
    assert discord_guilds(EVERY_SHARD)(guild_on(1, 2)) and not discord_guilds(EVERY_SHARD)(0)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        (ShardRange(0, 3, 8), ShardRange(3, 5, 8), True),
        (ShardRange(0, 3, 8), ShardRange(4, 7, 8), False),
        (ShardRange(0, 0, 2), ShardRange(1, 1, 2), False),
        (ShardRange(0, 0, 1), ShardRange(0, 0, 2), True),  # one shard holds every guild
        # Different counts: shard 12/16 carries guilds of shard 4/8 (12 % 8), 9/16 of 1/8.
        (ShardRange(0, 3, 8), ShardRange(4, 7, 16), False),
        (ShardRange(0, 3, 8), ShardRange(12, 12, 16), False),
        (ShardRange(0, 3, 8), ShardRange(9, 9, 16), True),
        (ShardRange(0, 0, 2), ShardRange(1, 1, 3), True),  # guild 4 << 22: 4 % 2, 4 % 3
        (ShardRange(1, 1, 4), ShardRange(0, 2, 6), True),  # guild 1 << 22: 1 % 4, 1 % 6
        (EVERY_SHARD, ShardRange(5, 5, 8), True),
        (EVERY_SHARD, EVERY_SHARD, True),
    ],
    ids=str,
)
def test_ranges_overlap_exactly_when_some_guild_is_on_both(
    a: ShardRange, b: ShardRange, overlap: bool
) -> None:
    assert a.overlaps(b) == overlap and b.overlaps(a) == overlap


def every_range(count: int) -> list[ShardRange]:
    return [
        ShardRange(first, last, count)
        for first, last in itertools.combinations_with_replacement(range(count), 2)
    ]


def test_the_overlap_rule_agrees_with_trying_every_guild() -> None:
    """Brute force over one full cycle of residues for small counts."""
    ranges = [r for count in (1, 2, 3, 4, 6) for r in every_range(count)]
    for a, b in itertools.product(ranges, repeat=2):
        cycle = a.count * b.count
        shared = any(a.holds(t << 22) and b.holds(t << 22) for t in range(cycle))
        assert a.overlaps(b) == shared, (a, b)


def test_processes_beside_one_database_each_have_their_own_heartbeat() -> None:
    def heartbeat(**env: str) -> Path:
        return load_settings({"TUTOR_DB": "/srv/tutor.sqlite3", **env}, NO_FILE).heartbeat_file

    paths = [heartbeat(), heartbeat(TUTOR_SHARDS="0/2"), heartbeat(TUTOR_SHARDS="1/2")]
    assert paths[0] == Path("/srv/bot.heartbeat")
    assert len(set(paths)) == 3 and {p.parent for p in paths} == {Path("/srv")}


def test_a_range_reads_as_it_is_written() -> None:
    assert str(ShardRange(5, 5, 8)) == "shard 5/8"
    assert str(ShardRange(0, 3, 8)) == "shards 0-3/8"
    assert str(EVERY_SHARD) == "all shards"
