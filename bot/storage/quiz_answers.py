"""The ``quiz_answers`` table: every answer a learner gave, solo or in a class quiz."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.storage import activity_quarters
from bot.storage.connection import Connection
from bot.storage.db import Database


@dataclass(frozen=True)
class QuestionHistory:
    """What a learner has done with one question so far."""

    answered: int
    correct: int
    last_correct: bool
    last_at: float


@dataclass(frozen=True)
class LessonAccuracy:
    lesson_id: str
    answered: int
    correct: int


async def record(
    conn: Connection,
    guild_id: int,
    user_id: int,
    question_id: str,
    lesson_id: str,
    correct: bool,
    answered_at: float,
    points: int,
    source: str,
    chosen: int,
    shown_order: str,
) -> None:
    """``chosen`` is the option's index in the content; ``shown_order`` the content
    indices in the order they were shown (``"2,0,1,3"``), for item analysis. The row is
    flagged ``first_attempt`` if the learner had never answered the question (item
    analysis reads only those), and the answer is counted in ``activity_quarters``."""
    await activity_quarters.count(conn, guild_id, user_id, answered_at, answers=1)
    await conn.execute(
        "INSERT INTO quiz_answers (guild_id, user_id, question_id, lesson_id, correct,"
        " answered_at, points, source, chosen, shown_order, first_attempt)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CASE WHEN EXISTS (SELECT 1"
        " FROM quiz_answers WHERE guild_id = ?1 AND user_id = ?2 AND question_id = ?3)"
        " THEN 0 ELSE 1 END)",
        (
            guild_id,
            user_id,
            question_id,
            lesson_id,
            int(correct),
            answered_at,
            points,
            source,
            chosen,
            shown_order,
        ),
    )


async def answer_count(conn: Connection, guild_id: int, user_id: int, question_id: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM quiz_answers WHERE guild_id = ? AND user_id = ? AND question_id = ?",
        (guild_id, user_id, question_id),
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def answered_correctly(
    conn: Connection, guild_id: int, user_id: int, question_id: str
) -> bool:
    """Whether this question was ever answered right (uses the per-question index)."""
    async with conn.execute(
        "SELECT 1 FROM quiz_answers WHERE guild_id = ? AND user_id = ? AND question_id = ?"
        " AND correct = 1 LIMIT 1",
        (guild_id, user_id, question_id),
    ) as cursor:
        return await cursor.fetchone() is not None


async def history(conn: Connection, guild_id: int, user_id: int) -> dict[str, QuestionHistory]:
    """Per question: counts and the outcome of the latest answer."""
    async with conn.execute(
        "SELECT question_id, count(*), sum(correct), max(answered_at),"
        " (SELECT q2.correct FROM quiz_answers q2 WHERE q2.guild_id = q.guild_id"
        "  AND q2.user_id = q.user_id AND q2.question_id = q.question_id"
        "  ORDER BY q2.id DESC LIMIT 1)"
        " FROM quiz_answers q WHERE guild_id = ? AND user_id = ?"
        " GROUP BY guild_id, user_id, question_id",
        (guild_id, user_id),
    ) as cursor:
        rows = await cursor.fetchall()
    return {
        qid: QuestionHistory(n, int(ok or 0), bool(last_ok), last_at)
        for qid, n, ok, last_at, last_ok in rows
    }


async def accuracy_by_lesson(conn: Connection, guild_id: int, user_id: int) -> list[LessonAccuracy]:
    async with conn.execute(
        "SELECT lesson_id, count(*), sum(correct) FROM quiz_answers"
        " WHERE guild_id = ? AND user_id = ? GROUP BY lesson_id ORDER BY lesson_id",
        (guild_id, user_id),
    ) as cursor:
        return [LessonAccuracy(*row) for row in await cursor.fetchall()]


class FirstAttempt(NamedTuple):
    """A tuple, not a dataclass: a class report builds hundreds of thousands."""

    guild_id: int
    user_id: int
    question_id: str
    correct: int  # 1 right, 0 wrong
    chosen: int


async def first_attempts(
    db: Database,
    guild_id: int | None,
    since: float | None = None,
    question_ids: Sequence[str] | None = None,
) -> list[FirstAttempt]:
    """Each learner's first answer to each question (in one guild, or all), if it was
    given with shuffled options: answers recorded before shuffling say little. With
    ``since``, only the first attempts made since then; with ``question_ids``, only those
    to these questions (one placeholder each). A read outside any transaction: a big
    class's report holds no write lock while it reads."""
    where = ["first_attempt = 1", "shown_order IS NOT NULL"]
    params: list[object] = []
    if guild_id is not None:
        where.append("guild_id = ?")
        params.append(guild_id)
    if since is not None:
        where.append("answered_at >= ?")
        params.append(since)
    if question_ids is not None:
        if not question_ids:
            return []
        where.append(f"question_id IN ({', '.join('?' * len(question_ids))})")
        params.extend(question_ids)
    rows = await db.fetchall(
        "SELECT guild_id, user_id, question_id, correct, chosen FROM quiz_answers"
        f" WHERE {' AND '.join(where)}",
        params,
    )
    return list(map(FirstAttempt._make, rows))
