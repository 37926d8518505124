"""The ``bot_meta`` table: small facts the bot remembers between runs."""

from __future__ import annotations

import aiosqlite


async def get(conn: aiosqlite.Connection, key: str) -> str | None:
    async with conn.execute("SELECT value FROM bot_meta WHERE key = ?", (key,)) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def put(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute("INSERT OR REPLACE INTO bot_meta (key, value) VALUES (?, ?)", (key, value))
