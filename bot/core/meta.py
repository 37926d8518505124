"""Small facts a frontend keeps between restarts (e.g. the last synced command tree)."""

from __future__ import annotations

from bot.storage import Database, meta


class Remembered:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        async with self._db.transaction() as conn:
            return await meta.get(conn, key)

    async def put(self, key: str, value: str) -> None:
        async with self._db.transaction() as conn:
            await meta.put(conn, key, value)
