"""Guild-wide reads for the class report, over ``learners``, ``activity_quarters``,
``review_log``, ``quiz_answers`` and ``exercise_attempts``.

Each function is one read (``Database.fetchall``), outside any transaction: no write
lock is held, and the connection's lock only per query, so a class quiz's answers
interleave with a big report. Activity comes counted per quarter hour
(``activity_quarters``), so the core turns each bucket into a local day exactly from
tens of thousands of rows rather than every event. Lists of ids are bound one
placeholder each: the SQL text holds no content.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bot.storage.activity_quarters import quarter_of
from bot.storage.db import Database
from bot.storage.learners import COLUMNS, LearnerRow, row_of


class QuarterActivity(NamedTuple):
    """What one learner did in one quarter hour (``quarter`` * 900 is its start, UTC); a
    tuple, as a big class has tens of thousands."""

    user_id: int
    quarter: int
    reviews: int  # ratings of any card (answers, exercises: activity only)


async def learners_of(db: Database, guild_id: int) -> list[LearnerRow]:
    """Every learner the bot has seen in the guild (forget-me deletes the row)."""
    rows = await db.fetchall(f"SELECT {COLUMNS} FROM learners WHERE guild_id = ?", (guild_id,))
    return [row_of(row) for row in rows]


async def activity(db: Database, guild_id: int, since: float) -> list[QuarterActivity]:
    """Per learner, each quarter hour from the one ``since`` falls in with a review, a quiz
    answer or an exercise submitted, and its number of reviews."""
    rows = await db.fetchall(
        "SELECT user_id, quarter, reviews FROM activity_quarters"
        " WHERE guild_id = ? AND quarter >= ?",
        (guild_id, quarter_of(since)),
    )
    return list(map(QuarterActivity._make, rows))


async def reviews_of(
    db: Database, guild_id: int, since: float, card_ids: Sequence[str]
) -> dict[int, int]:
    """Per learner, how many ratings of ``card_ids`` they gave since ``since``."""
    if not card_ids:
        return {}
    rows = await db.fetchall(
        "SELECT user_id, count(*) FROM review_log WHERE guild_id = ? AND reviewed_at >= ?"
        f" AND card_id IN ({_placeholders(card_ids)}) GROUP BY user_id",
        (guild_id, since, *card_ids),
    )
    return {user_id: reviews for user_id, reviews in rows}


async def exercises_solved(
    db: Database, guild_id: int, since: float, exercise_ids: Sequence[str]
) -> dict[int, int]:
    """Per learner, how many of ``exercise_ids`` they passed since ``since``."""
    if not exercise_ids:
        return {}
    rows = await db.fetchall(
        "SELECT user_id, count(DISTINCT exercise_id) FROM exercise_attempts"
        " WHERE guild_id = ? AND submitted_at >= ? AND status = 'pass'"
        f" AND exercise_id IN ({_placeholders(exercise_ids)}) GROUP BY user_id",
        (guild_id, since, *exercise_ids),
    )
    return {user_id: solved for user_id, solved in rows}


def _placeholders(ids: Sequence[str]) -> str:
    return ", ".join("?" * len(ids))
