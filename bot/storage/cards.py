"""The ``card_states`` and ``review_log`` tables: one FSRS state per learner and card.

Rows are never deleted because a card left the course: the queries that build the due
queue and its counts take the live course's card ids and consider only those, so a
retired card's state and history wait, untouched, until the card comes back. The ids
are bound as one JSON array parameter (``card_id IN (SELECT value FROM json_each(?))``):
one constant SQL text, nothing built from content, no limit on the number of ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.storage import activity_quarters
from bot.storage.connection import Connection, insert_returning_id


def _ids(card_ids: Iterable[str]) -> str:
    """The live card ids as the one JSON array parameter ``json_each(?)`` reads."""
    return json.dumps(list(card_ids))


@dataclass(frozen=True)
class CardStateRow:
    card_id: str
    lesson_id: str
    fsrs: str  # fsrs.Card as JSON
    due: float  # POSIX seconds, UTC


@dataclass(frozen=True)
class ReviewRow:
    id: int
    card_id: str
    rating: int
    reviewed_at: float
    previous_fsrs: str | None
    previous_due: float | None
    points: int


async def states(conn: Connection, guild_id: int, user_id: int) -> dict[str, CardStateRow]:
    async with conn.execute(
        "SELECT card_id, lesson_id, fsrs, due FROM card_states WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ) as cursor:
        return {row[0]: CardStateRow(*row) for row in await cursor.fetchall()}


async def state(conn: Connection, guild_id: int, user_id: int, card_id: str) -> CardStateRow | None:
    async with conn.execute(
        "SELECT card_id, lesson_id, fsrs, due FROM card_states"
        " WHERE guild_id = ? AND user_id = ? AND card_id = ?",
        (guild_id, user_id, card_id),
    ) as cursor:
        row = await cursor.fetchone()
    return CardStateRow(*row) if row else None


async def first_due(
    conn: Connection,
    guild_id: int,
    user_id: int,
    now: float,
    card_ids: Iterable[str],
) -> CardStateRow | None:
    """The most overdue of ``card_ids`` (the live deck); other cards' states are ignored.

    Uses the (guild, user, due) index, which also holds ``card_id`` (the table is
    WITHOUT ROWID, so its secondary indexes carry the primary key).
    """
    async with conn.execute(
        "SELECT card_id, lesson_id, fsrs, due FROM card_states"
        " WHERE guild_id = ? AND user_id = ? AND due <= ?"
        " AND card_id IN (SELECT value FROM json_each(?)) ORDER BY due LIMIT 1",
        (guild_id, user_id, now, _ids(card_ids)),
    ) as cursor:
        row = await cursor.fetchone()
    return CardStateRow(*row) if row else None


async def count_due(
    conn: Connection, guild_id: int, user_id: int, now: float, card_ids: Iterable[str]
) -> int:
    """How many of ``card_ids`` (the live deck) are due at ``now``."""
    return await _count(
        conn,
        "SELECT count(*) FROM card_states WHERE guild_id = ? AND user_id = ? AND due <= ?"
        " AND card_id IN (SELECT value FROM json_each(?))",
        (guild_id, user_id, now, _ids(card_ids)),
    )


async def introduced_on(conn: Connection, guild_id: int, user_id: int, day: str) -> int:
    return await _count(
        conn,
        "SELECT count(*) FROM card_states"
        " WHERE guild_id = ? AND user_id = ? AND introduced_day = ?",
        (guild_id, user_id, day),
    )


async def put_state(
    conn: Connection,
    guild_id: int,
    user_id: int,
    row: CardStateRow,
    introduced_day: str,
) -> None:
    """Insert or update; ``introduced_day`` is kept from the card's first review."""
    await conn.execute(
        "INSERT INTO card_states (guild_id, user_id, card_id, lesson_id, fsrs, due,"
        " introduced_day) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id, user_id, card_id) DO UPDATE SET"
        " fsrs = excluded.fsrs, due = excluded.due",
        (guild_id, user_id, row.card_id, row.lesson_id, row.fsrs, row.due, introduced_day),
    )


async def delete_state(conn: Connection, guild_id: int, user_id: int, card_id: str) -> None:
    await conn.execute(
        "DELETE FROM card_states WHERE guild_id = ? AND user_id = ? AND card_id = ?",
        (guild_id, user_id, card_id),
    )


async def log_review(
    conn: Connection,
    guild_id: int,
    user_id: int,
    card_id: str,
    rating: int,
    reviewed_at: float,
    previous: CardStateRow | None,
    points: int,
) -> int:
    """Log a rating (and count it in ``activity_quarters``); the new row's id."""
    await activity_quarters.count(conn, guild_id, user_id, reviewed_at, reviews=1)
    return await insert_returning_id(
        conn,
        "INSERT INTO review_log (guild_id, user_id, card_id, rating, reviewed_at,"
        " previous_fsrs, previous_due, points) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            guild_id,
            user_id,
            card_id,
            rating,
            reviewed_at,
            previous.fsrs if previous else None,
            previous.due if previous else None,
            points,
        ),
    )


async def last_review(conn: Connection, guild_id: int, user_id: int) -> ReviewRow | None:
    async with conn.execute(
        "SELECT id, card_id, rating, reviewed_at, previous_fsrs, previous_due, points"
        " FROM review_log WHERE guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1",
        (guild_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    return ReviewRow(*row) if row else None


async def delete_review(conn: Connection, guild_id: int, user_id: int, review: ReviewRow) -> None:
    """Take a logged rating back, from ``activity_quarters`` too."""
    await conn.execute("DELETE FROM review_log WHERE id = ?", (review.id,))
    await activity_quarters.count(conn, guild_id, user_id, review.reviewed_at, reviews=-1)


async def reviews_since(conn: Connection, guild_id: int, user_id: int, since: float) -> int:
    return await _count(
        conn,
        "SELECT count(*) FROM review_log WHERE guild_id = ? AND user_id = ? AND reviewed_at >= ?",
        (guild_id, user_id, since),
    )


async def review_count(conn: Connection, guild_id: int, user_id: int, card_id: str) -> int:
    """How many ratings of this card the learner has (undo takes one back)."""
    return await _count(
        conn,
        "SELECT count(*) FROM review_log WHERE guild_id = ? AND user_id = ? AND card_id = ?",
        (guild_id, user_id, card_id),
    )


async def _count(conn: Connection, sql: str, params: Sequence[object]) -> int:
    """The single number a ``SELECT count(*)`` query yields."""
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    assert row is not None  # an aggregate without GROUP BY always yields one row
    count: int = row[0]
    return count
