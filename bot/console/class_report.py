"""/class-report for the teacher: the report printed, its CSVs and chart saved as files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.console.commands import UsageError, command
from bot.console.session import Console
from bot.console.topics import lesson_named
from bot.core.class_report import PERIODS, ClassReport
from bot.core.context import CONSOLE_GUILD
from bot.render.class_report import (
    SEEN_NOTE,
    clip_lines,
    lesson_line,
    period_words,
    question_line,
    questions_csv,
    render_chart,
    student_line,
    students_csv,
    summary,
)

SECTION_CHARACTERS = 4000  # per list on screen; the CSV files hold everything


@command(
    "class-report",
    "lesson",
    "period",
    help="/class-report [lesson:..] [period:week|month|all-time]: the class, as CSV files too",
    teachers_only=True,
)
async def class_report(console: Console, lesson: str = "", period: str = "week") -> None:
    if period not in PERIODS:
        raise UsageError("period must be week, month or all-time.")
    lesson_id = lesson_named(console, lesson).id if lesson else None
    report = await console.tutor.class_report.report(CONSOLE_GUILD, period, lesson_id)
    console.say(f"**Class report: {period_words(report)}**")
    console.say(summary(report))
    console.say(SEEN_NOTE)
    students = [student_line(s, report.today) for s in report.behind_first]
    sections = (
        ("Students, least active first", students),
        ("Weakest lessons", [lesson_line(row) for row in report.weakest_lessons]),
        ("Questions to review", [question_line(row) for row in report.to_review]),
    )
    for title, lines in sections:
        console.say(f"**{title}**")
        for line in clip_lines(lines, SECTION_CHARACTERS).splitlines() or ["none yet"]:
            console.say(line, indent="  ")
    if console.charts_dir is None:
        return
    folder = console.charts_dir / f"class-report-{period}" / (lesson_id or "all-lessons")
    files = await asyncio.to_thread(_save, folder, report)
    for path in files:
        console.say(f"Saved: {path.resolve()}")


def _save(folder: Path, report: ClassReport) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in (
        ("students.csv", students_csv(report)),
        ("questions.csv", questions_csv(report)),
        ("class-report.png", render_chart(report)),
    ):
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
