"""The ``learners`` and ``weekly_points`` tables: points, streaks, leaderboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.storage import board_totals
from bot.storage.connection import Connection


@dataclass(frozen=True)
class LearnerRow:
    guild_id: int
    user_id: int
    display_name: str
    points: int
    streak_current: int
    streak_best: int
    streak_freezes: int
    last_active_day: date | None


@dataclass(frozen=True)
class RankRow:
    rank: int
    user_id: int
    display_name: str
    points: int


COLUMNS = (
    "guild_id, user_id, display_name, points, streak_current, streak_best,"
    " streak_freezes, last_active_day"
)


def row_of(values: Sequence[Any]) -> LearnerRow:
    """A ``LearnerRow`` from the ``COLUMNS`` of one row."""
    guild_id, user_id, display_name, points, current, best, freezes, last_day = values
    return LearnerRow(
        guild_id,
        user_id,
        display_name,
        points,
        current,
        best,
        freezes,
        date.fromisoformat(last_day) if last_day else None,
    )


async def ensure(
    conn: Connection, guild_id: int, user_id: int, display_name: str, now: float
) -> LearnerRow:
    """The learner's row, created on first contact; the display name is kept current."""
    await conn.execute(
        "INSERT INTO learners (guild_id, user_id, display_name, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = excluded.display_name"
        " WHERE excluded.display_name != '' AND excluded.display_name != learners.display_name",
        (guild_id, user_id, display_name, now),
    )
    found = await get(conn, guild_id, user_id)
    assert found is not None
    return found


async def get(conn: Connection, guild_id: int, user_id: int) -> LearnerRow | None:
    async with conn.execute(
        f"SELECT {COLUMNS} FROM learners WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ) as cursor:
        values = await cursor.fetchone()
    return row_of(values) if values else None


async def save_streak(conn: Connection, row: LearnerRow) -> None:
    await conn.execute(
        "UPDATE learners SET streak_current = ?, streak_best = ?, streak_freezes = ?,"
        " last_active_day = ? WHERE guild_id = ? AND user_id = ?",
        (
            row.streak_current,
            row.streak_best,
            row.streak_freezes,
            row.last_active_day.isoformat() if row.last_active_day else None,
            row.guild_id,
            row.user_id,
        ),
    )


async def add_points(
    conn: Connection, guild_id: int, user_id: int, points: int, week: str, now: float
) -> None:
    """Add to the all-time and this week's totals (negative points undo an award)."""
    if points == 0:
        return
    async with conn.execute(
        "UPDATE learners SET points = points + ?, points_at = ? WHERE guild_id = ? AND user_id = ?"
        " RETURNING points",
        (points, now, guild_id, user_id),
    ) as cursor:
        total = await cursor.fetchone()
    if total is None:
        return  # no such learner: nothing to add to
    await board_totals.move(conn, guild_id, board_totals.ALL_TIME, total[0] - points, total[0])
    async with conn.execute(
        "INSERT INTO weekly_points (guild_id, user_id, week, points, points_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, week, user_id) DO UPDATE SET"
        " points = weekly_points.points + excluded.points, points_at = excluded.points_at"
        " RETURNING points",
        (guild_id, user_id, week, points, now),
    ) as cursor:
        weekly = await cursor.fetchone()
    assert weekly is not None  # an upsert always returns its row
    await board_totals.move(conn, guild_id, week, weekly[0] - points, weekly[0])


# Ranking order (deterministic): more points first; on a tie, whoever reached that
# total earlier; then the lower user id. Each board reads one table through its rank
# index, (guild_id, [week,] points DESC, points_at, user_id): names are joined only for
# the rows shown; who is ahead is counted from ``board_totals`` (see rank_of).
_ORDER = " ORDER BY points DESC, points_at, user_id"


@dataclass(frozen=True)
class _Board:
    """Where one board's rows live: the table and the filter that picks the board."""

    table: str
    keys: tuple[str, ...]
    params: tuple[Any, ...]

    def where(self, alias: str = "") -> str:
        """The filter on the board's key columns, optionally qualified by ``alias``."""
        prefix = f"{alias}." if alias else ""
        return " AND ".join(f"{prefix}{key} = ?" for key in self.keys)


def _board(guild_id: int, week: str | None) -> _Board:
    if week is None:
        return _Board("learners", ("guild_id",), (guild_id,))
    return _Board("weekly_points", ("guild_id", "week"), (guild_id, week))


async def leaderboard(
    conn: Connection, guild_id: int, week: str | None, limit: int
) -> list[RankRow]:
    """The top ``limit`` of the guild, all-time (``week`` None) or for one week."""
    board = _board(guild_id, week)
    async with conn.execute(
        "SELECT b.user_id, l.display_name, b.points FROM (SELECT user_id, points, points_at"
        f" FROM {board.table} WHERE {board.where()} AND points > 0{_ORDER} LIMIT ?) AS b"
        " JOIN learners l ON l.guild_id = ? AND l.user_id = b.user_id"
        " ORDER BY b.points DESC, b.points_at, b.user_id",
        (*board.params, limit, guild_id),
    ) as cursor:
        rows = await cursor.fetchall()
    return [RankRow(i + 1, uid, name, pts) for i, (uid, name, pts) in enumerate(rows)]


async def rank_of(
    conn: Connection, guild_id: int, user_id: int, week: str | None
) -> RankRow | None:
    """The caller's own place, in the same order as ``leaderboard``: those with more
    points (summed over ``board_totals``' distinct totals above), plus those who reached
    the same total earlier (a handful of entries of the rank index)."""
    board = _board(guild_id, week)
    async with conn.execute(
        f"SELECT b.points, b.points_at, l.display_name FROM {board.table} b"
        " JOIN learners l ON l.guild_id = b.guild_id AND l.user_id = b.user_id"
        f" WHERE {board.where('b')} AND b.user_id = ?",
        (*board.params, user_id),
    ) as cursor:
        mine = await cursor.fetchone()
    if mine is None or mine[0] <= 0:
        return None
    points, points_at, name = mine
    async with conn.execute(
        f"SELECT count(*) FROM {board.table} WHERE {board.where()} AND points = ?"
        " AND (points_at < ? OR (points_at = ? AND user_id < ?))",
        (*board.params, points, points_at, points_at, user_id),
    ) as cursor:
        counted = await cursor.fetchone()
    assert counted is not None  # count(*) always yields one row
    ahead = await board_totals.above(conn, guild_id, week or board_totals.ALL_TIME, points)
    ahead += counted[0]
    return RankRow(ahead + 1, user_id, name, points)


async def forget(conn: Connection, guild_id: int, user_id: int) -> None:
    """Delete the learner and (by cascade) everything recorded about them in this guild."""
    async with conn.execute(
        "SELECT ?, points FROM learners WHERE guild_id = ? AND user_id = ?"
        " UNION ALL SELECT week, points FROM weekly_points WHERE guild_id = ? AND user_id = ?",
        (board_totals.ALL_TIME, guild_id, user_id, guild_id, user_id),
    ) as cursor:
        totals = await cursor.fetchall()
    for week, points in totals:
        await board_totals.move(conn, guild_id, week, points, 0)
    await conn.execute(
        "DELETE FROM learners WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
