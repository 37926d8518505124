"""The ``guild_settings`` table: per-server choices a teacher makes."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.storage.connection import Connection
from bot.storage.db import Database
from bot.storage.dialect import upsert


@dataclass(frozen=True)
class GuildSettings:
    guild_id: int
    timezone: str = "UTC"
    teacher_role_id: int | None = None
    new_cards_per_day: int = 10


_NAMES = [f.name for f in fields(GuildSettings)]


async def get(conn: Connection, guild_id: int, default_timezone: str) -> GuildSettings:
    async with conn.execute(
        f"SELECT {', '.join(_NAMES)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return GuildSettings(*row) if row else GuildSettings(guild_id, timezone=default_timezone)


async def put(conn: Connection, settings: GuildSettings) -> None:
    values = [getattr(settings, name) for name in _NAMES]
    await conn.execute(
        upsert("guild_settings", ", ".join(_NAMES), "guild_id"),
        values,
    )


async def timezone(db: Database, guild_id: int, default_timezone: str) -> str:
    """The guild's timezone, read outside any transaction (a report that writes nothing)."""
    row = await db.fetchone("SELECT timezone FROM guild_settings WHERE guild_id = ?", (guild_id,))
    return str(row[0]) if row else default_timezone
