"""/progress [member] and /leaderboard; the progress chart is saved as a PNG file."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from bot.console.commands import UsageError, command
from bot.console.session import Console, learner_for
from bot.core.context import CONSOLE_GUILD
from bot.render.chart import render
from bot.render.words import plural

PERIODS = ("week", "all-time")


@command(
    "progress",
    "member",
    help="/progress [member:NAME, teachers only]: points, streak, accuracy, a chart",
)
async def progress(console: Console, member: str = "") -> None:
    who = learner_for(member) if member.strip() else console.who
    if who.user_id != console.who.user_id and not await console.tutor.guilds.is_teacher(
        CONSOLE_GUILD, console.member
    ):
        raise UsageError(
            f"{console.who.name} can see their own progress: /progress without a member. "
            "Only teachers can see another student's."
        )
    report = await console.tutor.progress.report(who)
    lessons = await console.tutor.progress.by_lesson(who)
    console.say(f"**Progress of {report.name}**")
    rank = f" (rank #{report.rank.rank})" if report.rank else ""
    console.say(f"Points: {report.points}{rank}")
    console.say(
        f"Streak: {plural(report.streak_current, 'day')} (best {report.streak_best}; "
        f"{plural(report.freezes, 'freeze')} held, each covers a missed day)"
    )
    console.say(f"Quiz answers: {report.correct}/{report.answered} right")
    for row in lessons:
        quiz = f"quiz {row.correct}/{row.answered}" if row.answered else "quiz not answered yet"
        console.say(f"{row.title}: cards {row.cards_seen}/{row.cards_total} · {quiz}", indent="  ")
    console.say(f"Flashcards due now: {report.due_cards}")
    if report.exercises_total:
        console.say(f"Exercises solved: {report.exercises_solved}/{report.exercises_total}")
    if console.charts_dir is not None:
        picture = await asyncio.to_thread(render, f"{report.name}: progress", lessons)
        path = console.charts_dir / f"progress-{_slug(report.name)}.png"
        await asyncio.to_thread(_save, path, picture)
        console.say(f"Chart: {path.resolve()}")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "learner"


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@command("leaderboard", "period", help="/leaderboard [period:week|all-time]: top 10 and you")
async def leaderboard(console: Console, period: str = "week") -> None:
    if period not in PERIODS:
        raise UsageError("period must be week or all-time.")
    board = await console.tutor.progress.leaderboard(console.who, period)
    console.say(f"**Leaderboard ({period})**")
    if not board.top:
        console.say("No points yet. Be the first: /quiz")
    for row in board.top:
        console.say(f"{row.display_name or row.user_id}: {row.points}", indent=f"{row.rank:3}. ")
    if board.me_outside_top and board.me:
        console.say(f"You: #{board.me.rank} with {plural(board.me.points, 'point')}")
