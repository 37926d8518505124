"""The ``bot_meta`` table: small facts the bot remembers between runs."""

from __future__ import annotations

from bot.storage.connection import Connection
from bot.storage.dialect import upsert


async def get(conn: Connection, key: str) -> str | None:
    async with conn.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def put(conn: Connection, key: str, value: str) -> None:
    await conn.execute(upsert("bot_meta", "key, value", "key"), (key, value))
