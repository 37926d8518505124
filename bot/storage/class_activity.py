"""Guild-wide aggregates for the class report, over ``learners``, ``review_log``,
``quiz_answers`` and ``exercise_attempts``.

Each function is one read (``Database.fetchall``): the connection's lock is held per
query, not for the whole report, so a class quiz's answers interleave with a big report.
Activity is grouped by quarter hour in SQL (every timezone's offset is a whole number
of quarter hours), so the core can turn each bucket into a local day exactly, daylight
saving included, from tens of thousands of rows rather than every event.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import NamedTuple

from bot.storage.db import Database
from bot.storage.learners import COLUMNS, LearnerRow, row_of

QUARTER_HOUR = 900  # seconds


class QuarterActivity(NamedTuple):
    """What one learner did in one quarter hour (``quarter`` * 900 is its start, UTC); a
    tuple, as a big class has tens of thousands."""

    user_id: int
    quarter: int
    reviews: int  # ratings of the cards asked about (answers, exercises: activity only)


async def learners_of(db: Database, guild_id: int) -> list[LearnerRow]:
    """Every learner the bot has seen in the guild (forget-me deletes the row)."""
    rows = await db.fetchall(f"SELECT {COLUMNS} FROM learners WHERE guild_id = ?", (guild_id,))
    return [row_of(row) for row in rows]


async def activity(
    db: Database, guild_id: int, since: float, card_ids: Iterable[str] | None
) -> list[QuarterActivity]:
    """Per learner, each quarter hour since ``since`` with a review, a quiz answer or an
    exercise submitted, and
    how many of its reviews were of ``card_ids`` (None: of any card). The ids are one
    JSON parameter, as in ``cards``: constant SQL text, nothing built from content."""
    ids = None if card_ids is None else json.dumps(list(card_ids))
    rows = await db.fetchall(
        "WITH deck(card_id) AS (SELECT value FROM json_each(?3))"
        " SELECT user_id, quarter, sum(reviews) FROM ("
        "  SELECT user_id, CAST(reviewed_at / ?4 AS INTEGER) AS quarter,"
        "   (?3 IS NULL OR card_id IN deck) AS reviews"
        "  FROM review_log WHERE guild_id = ?1 AND reviewed_at >= ?2"
        "  UNION ALL"
        "  SELECT user_id, CAST(answered_at / ?4 AS INTEGER), 0"
        "  FROM quiz_answers WHERE guild_id = ?1 AND answered_at >= ?2"
        "  UNION ALL"
        "  SELECT user_id, CAST(submitted_at / ?4 AS INTEGER), 0"
        "  FROM exercise_attempts WHERE guild_id = ?1 AND submitted_at >= ?2)"
        " GROUP BY user_id, quarter",
        (guild_id, since, ids, QUARTER_HOUR),
    )
    return list(map(QuarterActivity._make, rows))


async def exercises_solved(
    db: Database, guild_id: int, since: float, exercise_ids: Iterable[str]
) -> dict[int, int]:
    """Per learner, how many of ``exercise_ids`` they passed since ``since``."""
    rows = await db.fetchall(
        "SELECT user_id, count(DISTINCT exercise_id) FROM exercise_attempts"
        " WHERE guild_id = ?1 AND submitted_at >= ?2 AND status = 'pass'"
        " AND exercise_id IN (SELECT value FROM json_each(?3)) GROUP BY user_id",
        (guild_id, since, json.dumps(list(exercise_ids))),
    )
    return {user_id: solved for user_id, solved in rows}
