"""The daily prompt tables: who is prompted when, and one claim row per delivery.

``daily_claims`` has one row per (schedule key, local day); its primary key is what
makes a delivery happen at most once, whichever process or tick gets there first.
DM claims name their learner, so forgetting a learner deletes them by cascade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.storage.connection import Connection
from bot.storage.dialect import upsert
from bot.storage.learners import COLUMNS, LearnerRow, row_of


@dataclass(frozen=True)
class ChannelRow:
    guild_id: int
    channel_id: int
    local_time: str  # HH:MM
    timezone: str
    leaderboard_weekday: int | None  # 0 = Monday; None: no weekly leaderboard
    since: float  # POSIX seconds: fires before this are not owed
    failure: str | None = None  # why posting stopped; paused until set again


@dataclass(frozen=True)
class StudentRow:
    guild_id: int
    user_id: int
    dm: bool  # False: opted out of everything (no DM, not named in channel posts)
    local_time: str | None
    timezone: str | None
    since: float
    snooze_day: str | None = None
    snooze_until: float | None = None
    dm_closed: bool = False  # Discord refused the DM; paused until set again


_CHANNEL = "guild_id, channel_id, local_time, timezone, leaderboard_weekday, since, failure"
_STUDENT = "guild_id, user_id, dm, local_time, timezone, since, snooze_day, snooze_until, dm_closed"


async def channel(conn: Connection, guild_id: int) -> ChannelRow | None:
    async with conn.execute(
        f"SELECT {_CHANNEL} FROM daily_channels WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return ChannelRow(*row) if row else None


async def put_channel(conn: Connection, row: ChannelRow) -> None:
    """Insert or replace; saving settings clears a recorded failure."""
    await conn.execute(
        upsert("daily_channels", _CHANNEL, "guild_id", "?, ?, ?, ?, ?, ?, NULL"),
        (
            row.guild_id,
            row.channel_id,
            row.local_time,
            row.timezone,
            row.leaderboard_weekday,
            row.since,
        ),
    )


async def delete_channel(conn: Connection, guild_id: int) -> bool:
    cursor = await conn.execute("DELETE FROM daily_channels WHERE guild_id = ?", (guild_id,))
    return cursor.rowcount > 0


async def active_channels(conn: Connection) -> list[ChannelRow]:
    async with conn.execute(
        f"SELECT {_CHANNEL} FROM daily_channels WHERE failure IS NULL"
    ) as cursor:
        return [ChannelRow(*row) for row in await cursor.fetchall()]


async def channel_failed(conn: Connection, guild_id: int, failure: str) -> None:
    await conn.execute(
        "UPDATE daily_channels SET failure = ?, failure_told = 0 WHERE guild_id = ?",
        (failure, guild_id),
    )


async def untold_channel_failure(conn: Connection, guild_id: int) -> tuple[int, str] | None:
    """(channel id, failure) if a teacher has not been told yet."""
    async with conn.execute(
        "SELECT channel_id, failure FROM daily_channels"
        " WHERE guild_id = ? AND failure IS NOT NULL AND failure_told = 0",
        (guild_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return (row[0], row[1]) if row else None


async def channel_failure_told(conn: Connection, guild_id: int) -> None:
    await conn.execute("UPDATE daily_channels SET failure_told = 1 WHERE guild_id = ?", (guild_id,))


async def student(conn: Connection, guild_id: int, user_id: int) -> StudentRow | None:
    async with conn.execute(
        f"SELECT {_STUDENT} FROM daily_students WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    return _student(row) if row else None


def _student(values: Sequence[Any]) -> StudentRow:
    """A ``StudentRow`` from the ``_STUDENT`` columns of one row."""
    guild_id, user_id, dm, local_time, timezone, since, snooze_day, snooze_until, closed = values
    return StudentRow(
        guild_id,
        user_id,
        bool(dm),
        local_time,
        timezone,
        since,
        snooze_day,
        snooze_until,
        dm_closed=bool(closed),
    )


async def put_student(conn: Connection, row: StudentRow) -> None:
    """Insert or replace (the learner must exist); clears any snooze and DM failure."""
    await conn.execute(
        upsert(
            "daily_students",
            f"{_STUDENT}, dm_closed_told",
            "guild_id, user_id",
            "?, ?, ?, ?, ?, ?, NULL, NULL, 0, 0",
        ),
        (row.guild_id, row.user_id, int(row.dm), row.local_time, row.timezone, row.since),
    )


async def active_students(conn: Connection) -> list[StudentRow]:
    async with conn.execute(
        f"SELECT {_STUDENT} FROM daily_students WHERE dm = 1 AND dm_closed = 0"
    ) as cursor:
        return [_student(row) for row in await cursor.fetchall()]


async def snooze(conn: Connection, guild_id: int, user_id: int, day: str, until: float) -> bool:
    """Set a one-off repeat of ``day``'s DM; False if DMs are off or it was snoozed already."""
    cursor = await conn.execute(
        "UPDATE daily_students SET snooze_day = ?, snooze_until = ?"
        " WHERE guild_id = ? AND user_id = ? AND dm = 1 AND snooze_day IS DISTINCT FROM ?",
        (day, until, guild_id, user_id, day),
    )
    return cursor.rowcount > 0


async def dm_closed(conn: Connection, guild_id: int, user_id: int) -> None:
    await conn.execute(
        "UPDATE daily_students SET dm_closed = 1, dm_closed_told = 0"
        " WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )


async def untold_dm_closed(conn: Connection, guild_id: int, user_id: int) -> bool:
    async with conn.execute(
        "SELECT 1 FROM daily_students WHERE guild_id = ? AND user_id = ?"
        " AND dm_closed = 1 AND dm_closed_told = 0",
        (guild_id, user_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def dm_closed_told(conn: Connection, guild_id: int, user_id: int) -> None:
    await conn.execute(
        "UPDATE daily_students SET dm_closed_told = 1 WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )


async def streak_candidates(
    conn: Connection, guild_id: int, active_since: date, limit: int
) -> list[LearnerRow]:
    """Learners who may be on a streak (longest stored first), leaving out those who opted
    out of daily prompts."""
    async with conn.execute(
        f"SELECT {COLUMNS} FROM learners l WHERE guild_id = ? AND streak_current > 0"
        " AND last_active_day >= ? AND NOT EXISTS (SELECT 1 FROM daily_students s"
        " WHERE s.guild_id = l.guild_id AND s.user_id = l.user_id AND s.dm = 0)"
        " ORDER BY streak_current DESC, user_id LIMIT ?",
        (guild_id, active_since.isoformat(), limit),
    ) as cursor:
        return [row_of(values) for values in await cursor.fetchall()]


async def claimed(conn: Connection, since_day: date) -> set[tuple[str, date]]:
    """Every (schedule key, day) with a claim from ``since_day`` on, whatever its state."""
    async with conn.execute(
        "SELECT key, day FROM daily_claims WHERE day >= ?", (since_day.isoformat(),)
    ) as cursor:
        return {(key, date.fromisoformat(day)) for key, day in await cursor.fetchall()}


async def claim(
    conn: Connection,
    key: str,
    day: date,
    guild_id: int,
    user_id: int | None,
    state: str,
    fire_at: float,
    now: float,
    detail: str = "",
) -> bool:
    """Record a delivery of (key, day) in ``state``; False if one was recorded already."""
    cursor = await conn.execute(
        "INSERT INTO daily_claims (key, day, guild_id, user_id, state, fire_at, updated_at,"
        " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key, day) DO NOTHING",
        (key, day.isoformat(), guild_id, user_id, state, fire_at, now, detail),
    )
    return cursor.rowcount > 0


async def finish(
    conn: Connection, key: str, day: date, state: str, detail: str, now: float
) -> None:
    await conn.execute(
        "UPDATE daily_claims SET state = ?, detail = ?, updated_at = ? WHERE key = ? AND day = ?",
        (state, detail, now, key, day.isoformat()),
    )


@dataclass(frozen=True)
class ClaimRow:
    key: str
    day: date
    guild_id: int
    fire_at: float


async def sending(conn: Connection, since_day: date) -> list[ClaimRow]:
    """Claims still ``sending``: a crash came between the claim and its outcome."""
    async with conn.execute(
        "SELECT key, day, guild_id, fire_at FROM daily_claims WHERE state = 'sending'"
        " AND day >= ? ORDER BY fire_at",
        (since_day.isoformat(),),
    ) as cursor:
        return [
            ClaimRow(key, date.fromisoformat(day), guild_id, fire_at)
            for key, day, guild_id, fire_at in await cursor.fetchall()
        ]
