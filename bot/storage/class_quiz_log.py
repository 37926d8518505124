"""The ``class_quizzes`` and ``class_quiz_answers`` tables: a class quiz as it runs.

Each accepted answer is a row before the student is told "Locked in"; a row is marked
``recorded`` once it counts in the student's progress. After a crash the rows still
``running`` are the quizzes to close and tell about; unrecorded answers are recorded then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.connection import Connection, insert_returning_id
from bot.storage.db import Database


@dataclass(frozen=True)
class QuizQuestion:
    question_id: str
    lesson_id: str
    order: str  # content indices in the order shown, "2,0,1,3"


@dataclass(frozen=True)
class QuizRow:
    id: int
    guild_id: int
    channel_id: int
    started_by: int
    seconds: int
    questions: tuple[QuizQuestion, ...]
    question_index: int
    message_id: int | None
    state: str  # running | finished | interrupted | told


@dataclass(frozen=True)
class AnswerRow:
    quiz_id: int
    question_index: int
    user_id: int
    name: str
    chosen: int  # the option's content index
    elapsed: float
    correct: bool
    points: int
    answered_at: float


async def create(
    conn: Connection,
    guild_id: int,
    channel_id: int,
    started_by: int,
    seconds: int,
    questions: list[QuizQuestion],
    started_at: float,
) -> int:
    payload = json.dumps([[q.question_id, q.lesson_id, q.order] for q in questions])
    return await insert_returning_id(
        conn,
        "INSERT INTO class_quizzes (guild_id, channel_id, started_by, seconds, questions,"
        " started_at) VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, channel_id, started_by, seconds, payload, started_at),
    )


async def showing(
    conn: Connection, quiz_id: int, question_index: int, message_id: int | None
) -> None:
    """The question now open and the message showing it (edited after a crash)."""
    await conn.execute(
        "UPDATE class_quizzes SET question_index = ?, message_id = ? WHERE id = ?",
        (question_index, message_id, quiz_id),
    )


async def set_state(conn: Connection, quiz_id: int, state: str) -> None:
    await conn.execute("UPDATE class_quizzes SET state = ? WHERE id = ?", (state, quiz_id))


async def add_answers(conn: Connection, rows: list[AnswerRow]) -> None:
    await conn.executemany(
        "INSERT INTO class_quiz_answers (quiz_id, question_index, user_id, name, chosen,"
        " elapsed, correct, points, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (r.quiz_id, r.question_index, r.user_id, r.name, r.chosen, r.elapsed,
             int(r.correct), r.points, r.answered_at)
            for r in rows
        ],
    )  # fmt: skip


_QUIZ_COLUMNS = (
    "id, guild_id, channel_id, started_by, seconds, questions, question_index, message_id, state"
)


async def quiz(db: Database, quiz_id: int) -> QuizRow:
    row = await db.fetchone(f"SELECT {_QUIZ_COLUMNS} FROM class_quizzes WHERE id = ?", (quiz_id,))
    return _quiz(row)


async def to_recover(db: Database) -> list[QuizRow]:
    """Quizzes a crash cut short (not yet told), and any with answers not yet counted."""
    rows = await db.fetchall(
        f"SELECT {_QUIZ_COLUMNS} FROM class_quizzes WHERE state IN ('running', 'interrupted')"
        " OR id IN (SELECT DISTINCT quiz_id FROM class_quiz_answers WHERE recorded = 0)"
        " ORDER BY id"
    )
    return [_quiz(row) for row in rows]


def _quiz(row: Any) -> QuizRow:
    id_, guild, channel, by, seconds, questions, index, message, state = row
    asked = tuple(QuizQuestion(*q) for q in json.loads(questions))
    return QuizRow(id_, guild, channel, by, seconds, asked, index, message, state)


_ANSWER_COLUMNS = (
    "quiz_id, question_index, user_id, name, chosen, elapsed, correct, points, answered_at"
)


async def answers(db: Database, quiz_id: int) -> list[AnswerRow]:
    rows = await db.fetchall(
        f"SELECT {_ANSWER_COLUMNS} FROM class_quiz_answers WHERE quiz_id = ?"
        " ORDER BY question_index, answered_at",
        (quiz_id,),
    )
    return [_answer(row) for row in rows]


async def unrecorded(db: Database, quiz_id: int) -> list[AnswerRow]:
    rows = await db.fetchall(
        f"SELECT {_ANSWER_COLUMNS} FROM class_quiz_answers WHERE quiz_id = ? AND recorded = 0"
        " ORDER BY user_id, question_index",
        (quiz_id,),
    )
    return [_answer(row) for row in rows]


async def mark_recorded(conn: Connection, row: AnswerRow) -> None:
    await conn.execute(
        "UPDATE class_quiz_answers SET recorded = 1"
        " WHERE quiz_id = ? AND question_index = ? AND user_id = ?",
        (row.quiz_id, row.question_index, row.user_id),
    )


async def forget(conn: Connection, guild_id: int, user_id: int) -> None:
    await conn.execute(
        "DELETE FROM class_quiz_answers WHERE user_id = ? AND quiz_id IN"
        " (SELECT id FROM class_quizzes WHERE guild_id = ?)",
        (user_id, guild_id),
    )


def _answer(row: Any) -> AnswerRow:
    quiz_id, index, user_id, name, chosen, elapsed, correct, points, answered_at = row
    return AnswerRow(
        quiz_id, index, user_id, name, chosen, elapsed, bool(correct), points, answered_at
    )
