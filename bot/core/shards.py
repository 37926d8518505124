"""Which shards a bot process serves, and so which guilds are its own.

Discord splits a bot's guilds over ``count`` gateway connections (shards) by a fixed
formula: guild ``g`` is on shard ``(g >> 22) % count``, and direct messages come on
shard 0. Several processes can each serve a range of shards; everything a process does
for a guild without being asked (daily prompts, telling a quiz a crash cut it short,
timing a class assignment) it does only for guilds on its own shards, since the
guild's interactions reach no other process.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd


def shard_of(guild_id: int, count: int) -> int:
    """The shard that carries ``guild_id``'s events when the bot runs ``count`` shards."""
    return (guild_id >> 22) % count


@dataclass(frozen=True)
class ShardRange:
    """Shards ``first``..``last`` of ``count``; ``count`` 0 means every shard (one process,
    with the shard count Discord recommends)."""

    first: int = 0
    last: int = 0
    count: int = 0

    @property
    def every_shard(self) -> bool:
        return self.count == 0

    @property
    def ids(self) -> range:
        return range(self.first, self.last + 1)

    def holds(self, guild_id: int) -> bool:
        """Whether ``guild_id`` is on one of these shards."""
        return self.every_shard or self.first <= shard_of(guild_id, self.count) <= self.last

    def overlaps(self, other: ShardRange) -> bool:
        """Whether some guild is on both ranges. With different counts, a guild's shards
        are its id's residues modulo each count; two residues of one number agree
        modulo the counts' gcd, and any pair that agrees there belongs to some number
        (Chinese remainder theorem). So the ranges share a guild exactly when their
        shards share a residue modulo the gcd: 0-3/8 and 4-7/16 do not, 0/2 and 2/4 do."""
        if self.every_shard or other.every_shard:
            return True
        modulus = gcd(self.count, other.count)
        return not self._residues(modulus).isdisjoint(other._residues(modulus))

    def _residues(self, modulus: int) -> set[int]:
        if self.last - self.first + 1 >= modulus:
            return set(range(modulus))
        return {shard % modulus for shard in self.ids}

    def __str__(self) -> str:
        if self.every_shard:
            return "all shards"
        if self.first == self.last:
            return f"shard {self.first}/{self.count}"
        return f"shards {self.first}-{self.last}/{self.count}"


EVERY_SHARD = ShardRange()
