"""The ``activity_quarters`` table: what each learner did per quarter hour, counted as it
happens, so the class report reads one row per learner and busy quarter hour rather than
every review, answer and submission ever recorded.

The repository functions that record a review, a quiz answer or an exercise attempt (and
the undo that takes a review back) count it here themselves, on the same connection:
the count and the event commit or roll back together. Quarter hours, not local days: a
timezone's offset is a whole number of quarter hours, so the report turns a quarter into
the local day of the guild's timezone *now* (a teacher changing it sees every past day
move, as before), daylight saving included. Migration 10 fills the table from the rows
that were there, with the same bucket as ``quarter_of``.
"""

from __future__ import annotations

import math

from bot.storage.connection import Connection

QUARTER_HOUR = 900  # seconds


def quarter_of(at: float) -> int:
    """The quarter hour ``at`` (POSIX seconds) falls in: ``floor(at / 900.0)``, the same
    float division and floor as migration 10's SQL."""
    return math.floor(at / float(QUARTER_HOUR))


async def count(
    conn: Connection,
    guild_id: int,
    user_id: int,
    at: float,
    *,
    reviews: int = 0,
    answers: int = 0,
    submissions: int = 0,
) -> None:
    """Add to the learner's counts for the quarter hour of ``at`` (a negative number takes
    events back; a quarter hour left with nothing in it is deleted, as if never active)."""
    params = (guild_id, user_id, quarter_of(at), reviews, answers, submissions)
    await conn.execute(
        "INSERT INTO activity_quarters (guild_id, user_id, quarter, reviews, answers,"
        " submissions) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (guild_id, user_id, quarter) DO UPDATE SET"
        " reviews = activity_quarters.reviews + excluded.reviews,"
        " answers = activity_quarters.answers + excluded.answers,"
        " submissions = activity_quarters.submissions + excluded.submissions",
        params,
    )
    if min(reviews, answers, submissions) < 0:
        await conn.execute(
            "DELETE FROM activity_quarters WHERE guild_id = ? AND user_id = ? AND quarter = ?"
            " AND reviews <= 0 AND answers <= 0 AND submissions <= 0",
            params[:3],
        )
