"""The ``learners`` and ``weekly_points`` tables: points, streaks, leaderboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

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
    await conn.execute(
        "UPDATE learners SET points = points + ?, points_at = ? WHERE guild_id = ? AND user_id = ?",
        (points, now, guild_id, user_id),
    )
    await conn.execute(
        "INSERT INTO weekly_points (guild_id, user_id, week, points, points_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, week, user_id) DO UPDATE SET"
        " points = weekly_points.points + excluded.points, points_at = excluded.points_at",
        (guild_id, user_id, week, points, now),
    )


# Ranking order (deterministic): more points first; on a tie, whoever reached that
# total earlier; then the lower user id.
_ALL_TIME = """
    SELECT l.user_id AS user_id, l.display_name AS display_name, l.points AS points,
        l.points_at AS points_at FROM learners l
    WHERE l.guild_id = ? AND l.points > 0
"""
_WEEK = """
    SELECT w.user_id AS user_id, l.display_name AS display_name, w.points AS points,
        w.points_at AS points_at FROM weekly_points w
    JOIN learners l ON l.guild_id = w.guild_id AND l.user_id = w.user_id
    WHERE w.guild_id = ? AND w.week = ? AND w.points > 0
"""
_ORDER = " ORDER BY points DESC, points_at, user_id"


async def leaderboard(
    conn: Connection, guild_id: int, week: str | None, limit: int
) -> list[RankRow]:
    """The top ``limit`` of the guild, all-time (``week`` None) or for one week."""
    sql, params = (_ALL_TIME, (guild_id,)) if week is None else (_WEEK, (guild_id, week))
    async with conn.execute(
        f"SELECT * FROM ({sql}) AS board{_ORDER} LIMIT ?", (*params, limit)
    ) as cursor:
        rows = await cursor.fetchall()
    return [RankRow(i + 1, uid, name, pts) for i, (uid, name, pts, _) in enumerate(rows)]


async def rank_of(
    conn: Connection, guild_id: int, user_id: int, week: str | None
) -> RankRow | None:
    """The caller's own place, computed with the same order as ``leaderboard``."""
    base, params = (_ALL_TIME, (guild_id,)) if week is None else (_WEEK, (guild_id, week))
    async with conn.execute(
        f"SELECT * FROM ({base}) AS board WHERE user_id = ?", (*params, user_id)
    ) as cursor:
        mine = await cursor.fetchone()
    if mine is None:
        return None
    uid, name, points, points_at = mine
    async with conn.execute(
        f"SELECT count(*) FROM ({base}) AS board WHERE points > ? OR (points = ? AND"
        " (points_at < ? OR (points_at = ? AND user_id < ?)))",
        (*params, points, points, points_at, points_at, uid),
    ) as cursor:
        counted = await cursor.fetchone()
    assert counted is not None  # count(*) always yields one row
    (ahead,) = counted
    return RankRow(ahead + 1, uid, name, points)


async def forget(conn: Connection, guild_id: int, user_id: int) -> None:
    """Delete the learner and (by cascade) everything recorded about them in this guild."""
    await conn.execute(
        "DELETE FROM learners WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
