"""The exercise tables: graded attempts, solutions shown, class assignments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.storage import activity_quarters
from bot.storage.connection import Connection, insert_returning_id
from bot.storage.db import Database
from bot.storage.dialect import upsert


@dataclass(frozen=True)
class AttemptRow:
    exercise_id: str
    lesson_id: str
    status: str  # pass | fail | error
    checks_passed: int
    checks_total: int
    code: str
    submitted_at: float
    points: int


@dataclass(frozen=True)
class ExerciseHistory:
    """One learner and one exercise so far."""

    attempts: int
    solved: bool
    failed: int
    solution_shown: bool
    last_code: str | None


async def record(conn: Connection, guild_id: int, user_id: int, row: AttemptRow) -> None:
    """Store a graded attempt (and count it in ``activity_quarters``)."""
    await activity_quarters.count(conn, guild_id, user_id, row.submitted_at, submissions=1)
    await conn.execute(
        "INSERT INTO exercise_attempts (guild_id, user_id, exercise_id, lesson_id, status,"
        " checks_passed, checks_total, code, submitted_at, points)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, row.exercise_id, row.lesson_id, row.status, row.checks_passed,
         row.checks_total, row.code, row.submitted_at, row.points),
    )  # fmt: skip


async def history(
    conn: Connection, guild_id: int, user_id: int, exercise_id: str
) -> ExerciseHistory:
    async with conn.execute(
        "SELECT count(*), coalesce(max(CASE WHEN status = 'pass' THEN 1 ELSE 0 END), 0),"
        " coalesce(sum(CASE WHEN status = 'pass' THEN 0 ELSE 1 END), 0),"
        " (SELECT code FROM exercise_attempts WHERE guild_id = ?1 AND user_id = ?2"
        "  AND exercise_id = ?3 ORDER BY id DESC LIMIT 1),"
        " EXISTS (SELECT 1 FROM exercise_solutions_shown WHERE guild_id = ?1 AND user_id = ?2"
        "  AND exercise_id = ?3)"
        " FROM exercise_attempts WHERE guild_id = ?1 AND user_id = ?2 AND exercise_id = ?3",
        (guild_id, user_id, exercise_id),
    ) as cursor:
        row: Any = await cursor.fetchone()
    attempts, solved, failed, last_code, shown = row
    return ExerciseHistory(attempts, bool(solved), failed, bool(shown), last_code)


async def solved(conn: Connection, guild_id: int, user_id: int) -> set[str]:
    async with conn.execute(
        "SELECT DISTINCT exercise_id FROM exercise_attempts"
        " WHERE guild_id = ? AND user_id = ? AND status = 'pass'",
        (guild_id, user_id),
    ) as cursor:
        return {exercise_id for (exercise_id,) in await cursor.fetchall()}


async def solution_shown(
    conn: Connection, guild_id: int, user_id: int, exercise_id: str, now: float
) -> None:
    await conn.execute(
        "INSERT INTO exercise_solutions_shown (guild_id, user_id, exercise_id, shown_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, user_id, exercise_id) DO NOTHING",
        (guild_id, user_id, exercise_id, now),
    )


async def set_last_shown(conn: Connection, guild_id: int, user_id: int, exercise_id: str) -> None:
    await conn.execute(
        upsert("exercise_last_shown", "guild_id, user_id, exercise_id", "guild_id, user_id"),
        (guild_id, user_id, exercise_id),
    )


async def last_shown(conn: Connection, guild_id: int, user_id: int) -> str | None:
    async with conn.execute(
        "SELECT exercise_id FROM exercise_last_shown WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    return None if row is None else str(row[0])


@dataclass(frozen=True)
class AssignmentRow:
    id: int
    guild_id: int
    channel_id: int
    exercise_id: str
    started_by: int
    started_at: float
    ends_at: float
    state: str  # running | finished


_ASSIGNMENT = "id, guild_id, channel_id, exercise_id, started_by, started_at, ends_at, state"


async def start_assignment(
    conn: Connection,
    guild_id: int,
    channel_id: int,
    exercise_id: str,
    started_by: int,
    started_at: float,
    ends_at: float,
) -> int:
    return await insert_returning_id(
        conn,
        "INSERT INTO class_exercises (guild_id, channel_id, exercise_id, started_by,"
        " started_at, ends_at) VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, channel_id, exercise_id, started_by, started_at, ends_at),
    )


async def running_assignments(db: Database) -> list[AssignmentRow]:
    rows = await db.fetchall(
        f"SELECT {_ASSIGNMENT} FROM class_exercises WHERE state = 'running' ORDER BY id"
    )
    return [AssignmentRow(*row) for row in rows]


async def finish_assignment(conn: Connection, assignment_id: int) -> bool:
    """False if it was finished already (a stop racing the timer)."""
    cursor = await conn.execute(
        "UPDATE class_exercises SET state = 'finished' WHERE id = ? AND state = 'running'",
        (assignment_id,),
    )
    return cursor.rowcount == 1


@dataclass(frozen=True)
class AssignmentAttempts:
    user_id: int
    name: str
    attempts: int
    first_pass_at: float | None


async def assignment_attempts(
    db: Database, row: AssignmentRow, until: float
) -> list[AssignmentAttempts]:
    """Each student's attempts at the assignment's exercise while it ran."""
    rows = await db.fetchall(
        "SELECT a.user_id, l.display_name, count(*),"
        " min(CASE WHEN a.status = 'pass' THEN a.submitted_at END)"
        " FROM exercise_attempts a JOIN learners l USING (guild_id, user_id)"
        " WHERE a.guild_id = ? AND a.exercise_id = ? AND a.submitted_at >= ?"
        " AND a.submitted_at <= ? GROUP BY a.user_id, l.display_name ORDER BY a.user_id",
        (row.guild_id, row.exercise_id, row.started_at, until),
    )
    return [AssignmentAttempts(*r) for r in rows]
