"""The ``teacher_uploads`` and ``teacher_items`` tables: a server's own content.

An item is a lesson (with its own cards and questions), a question or a card, stored as
the JSON of its model; uploading an id again replaces it (the newer upload owns it).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.connection import Connection, insert_returning_id
from bot.storage.db import Database
from bot.storage.dialect import upsert


@dataclass(frozen=True)
class UploadRow:
    version: int
    filename: str
    uploaded_by: int
    uploaded_at: float
    items: int  # as uploaded
    live: int  # still owned by this upload (later uploads may have replaced some)


@dataclass(frozen=True)
class ItemRow:
    kind: str  # lesson | question | flashcard
    item_id: str
    data: str


async def add_upload(
    conn: Connection,
    guild_id: int,
    filename: str,
    uploaded_by: int,
    uploaded_at: float,
    items: list[ItemRow],
    counted: int,
) -> int:
    """Store an upload as the server's next version; returns that version."""
    async with conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM teacher_uploads WHERE guild_id = ?",
        (guild_id,),
    ) as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 1
    upload_id = await insert_returning_id(
        conn,
        "INSERT INTO teacher_uploads (guild_id, version, filename, uploaded_by, uploaded_at,"
        " items) VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, version, filename, uploaded_by, uploaded_at, counted),
    )
    await conn.executemany(
        upsert(
            "teacher_items", "guild_id, kind, item_id, upload_id, data", "guild_id, kind, item_id"
        ),
        [(guild_id, item.kind, item.item_id, upload_id, item.data) for item in items],
    )
    return version


async def items(db: Database, guild_id: int | None = None) -> dict[int, list[ItemRow]]:
    """Every server's items (or one server's), oldest upload first."""
    where, params = ("WHERE i.guild_id = ?", (guild_id,)) if guild_id is not None else ("", ())
    rows = await db.fetchall(
        "SELECT i.guild_id, i.kind, i.item_id, i.data FROM teacher_items i"
        f" JOIN teacher_uploads u ON u.id = i.upload_id {where} ORDER BY u.version, i.item_id",
        params,
    )
    found: dict[int, list[ItemRow]] = {}
    for guild, kind, item_id, data in rows:
        found.setdefault(guild, []).append(ItemRow(kind, item_id, data))
    return found


async def uploads(db: Database, guild_id: int) -> list[UploadRow]:
    rows = await db.fetchall(
        "SELECT u.version, u.filename, u.uploaded_by, u.uploaded_at, u.items,"
        " (SELECT count(*) FROM teacher_items i WHERE i.upload_id = u.id)"
        " FROM teacher_uploads u WHERE u.guild_id = ? ORDER BY u.version",
        (guild_id,),
    )
    return [UploadRow(*row) for row in rows]


async def remove_upload(conn: Connection, guild_id: int, version: int) -> None:
    """Remove what an upload still owns."""
    await conn.execute(
        "DELETE FROM teacher_items WHERE upload_id ="
        " (SELECT id FROM teacher_uploads WHERE guild_id = ? AND version = ?)",
        (guild_id, version),
    )


async def remove_item(conn: Connection, guild_id: int, item_id: str) -> None:
    await conn.execute(
        "DELETE FROM teacher_items WHERE guild_id = ? AND item_id = ?", (guild_id, item_id)
    )
