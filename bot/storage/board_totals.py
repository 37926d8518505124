"""The ``board_totals`` table: per guild and board, how many learners hold each points
total, so a learner's rank is a sum over the (few) distinct totals above theirs instead
of a count over every learner ahead (100k index entries at the bottom of a big guild).

Kept exact in the same transaction as every change to a total (``learners.add_points``,
``learners.forget``). The all-time board is week ``''``; only totals above zero count,
as on the boards.
"""

from __future__ import annotations

from bot.storage.connection import Connection

ALL_TIME = ""


async def move(conn: Connection, guild_id: int, week: str, old: int, new: int) -> None:
    """One learner's total on a board went from ``old`` to ``new``."""
    if old == new:
        return
    if old > 0:
        await conn.execute(
            "UPDATE board_totals SET learners = learners - 1"
            " WHERE guild_id = ? AND week = ? AND points = ?",
            (guild_id, week, old),
        )
        await conn.execute(
            "DELETE FROM board_totals"
            " WHERE guild_id = ? AND week = ? AND points = ? AND learners = 0",
            (guild_id, week, old),
        )
    if new > 0:
        await conn.execute(
            "INSERT INTO board_totals (guild_id, week, points, learners) VALUES (?, ?, ?, 1)"
            " ON CONFLICT (guild_id, week, points) DO UPDATE"
            " SET learners = board_totals.learners + 1",
            (guild_id, week, new),
        )


async def above(conn: Connection, guild_id: int, week: str, points: int) -> int:
    """How many learners on the board have more than ``points``."""
    async with conn.execute(
        "SELECT CAST(COALESCE(SUM(learners), 0) AS INTEGER) FROM board_totals"
        " WHERE guild_id = ? AND week = ? AND points > ?",
        (guild_id, week, points),
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # an aggregate always yields one row
    return int(row[0])


async def recount(conn: Connection) -> None:
    """Rebuild every total from ``learners`` and ``weekly_points``: after a bulk load
    that bypassed ``learners.add_points`` (a benchmark's set-up), or to check the kept
    totals against the rows."""
    await conn.execute("DELETE FROM board_totals")
    await conn.execute(
        "INSERT INTO board_totals (guild_id, week, points, learners)"
        " SELECT guild_id, ?, points, count(*) FROM learners WHERE points > 0"
        " GROUP BY guild_id, points",
        (ALL_TIME,),
    )
    await conn.execute(
        "INSERT INTO board_totals (guild_id, week, points, learners)"
        " SELECT guild_id, week, points, count(*) FROM weekly_points WHERE points > 0"
        " GROUP BY guild_id, week, points"
    )
