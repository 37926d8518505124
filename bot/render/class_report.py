"""The class report in words, as two CSV files and as a chart, for both frontends.

The CSVs are what a teacher opens in a spreadsheet: UTF-8 with a byte-order mark (so
Excel reads accented names), quoted by the ``csv`` module, and any text cell that a
spreadsheet would run as a formula (a display name like ``=HYPERLINK(...)``) starts with
an apostrophe. ``render_chart`` is CPU work like ``chart.render``: call it in a thread.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date

from PIL import Image, ImageDraw

from bot.core.class_report import PERIOD_DAYS, ClassReport, LessonRow, QuestionRow, StudentRow
from bot.render.chart import (
    ACCURACY,
    ACCURACY_W,
    ACCURACY_X,
    BACKGROUND,
    BOTTOM,
    CARDS,
    CARDS_W,
    CARDS_X,
    FONT_SIZE,
    MUTED,
    NUMBER_GAP,
    PAD,
    ROW,
    RULE,
    SMALL_FONT_SIZE,
    TEXT,
    TITLE_FONT_SIZE,
    TOP,
    WIDTH,
    LegendEntry,
    bar,
    empty_track,
    fit,
    font_of,
    legend,
    png_bytes,
    row_start,
)
from bot.render.words import plural

SEEN_NOTE = (
    "Lists the students the bot has seen here (everyone who has used it); it asks Discord "
    "for no member list (no privileged intent), and students who used forget-me are gone."
)
STUDENT_COLUMNS = (
    "user_id", "name", "active_days", "streak", "cards_reviewed", "first_attempts",
    "first_correct", "accuracy_percent", "exercises_solved", "last_active",
)  # fmt: skip
QUESTION_COLUMNS = (
    "question_id", "lesson", "prompt", "first_attempts", "correct_percent", "discrimination",
    "most_chosen_wrong", "most_chosen_wrong_count", "option1_chosen", "option2_chosen",
    "option3_chosen", "option4_chosen", "flags",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def period_words(report: ClassReport) -> str:
    """``the last 7 days (since 2026-03-02)`` or ``all time``, and the lesson if one."""
    days = PERIOD_DAYS.get(report.period)
    when = f"the last {days} days (since {report.first_day})" if days else "all time"
    return f"{report.lesson.title}, {when}" if report.lesson else when


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(100 * share)}%"


def last_active_words(day: date | None, today: date) -> str:
    if day is None:
        return "never"
    ago = (today - day).days
    return {0: "today", 1: "yesterday"}.get(ago, f"{ago} days ago")


def student_line(student: StudentRow, today: date) -> str:
    quiz = (
        f"quiz {student.first_correct}/{student.first_attempts} ({_percent(student.accuracy)})"
        if student.first_attempts
        else "no quiz"
    )
    parts = [
        student.name,
        plural(student.active_days, "active day"),
        f"streak {student.streak}",
        plural(student.cards_reviewed, "card"),
        quiz,
    ]
    if student.exercises_solved:
        parts.append(plural(student.exercises_solved, "exercise"))
    parts.append(f"last active {last_active_words(student.last_active, today)}")
    return " · ".join(parts)


def lesson_line(row: LessonRow) -> str:
    return (
        f"{row.lesson.title}: {_percent(row.accuracy)} right first time "
        f"({row.first_correct}/{row.first_attempts}, {plural(row.students, 'student')})"
    )


def question_line(row: QuestionRow) -> str:
    item = row.item
    if item is None:
        return f"{row.question.id}: not answered yet"
    discrimination = "n/a" if item.discrimination is None else f"{item.discrimination:.2f}"
    line = (
        f"{row.question.id}: {_percent(item.correct)} right of {item.answers}, "
        f"discrimination {discrimination}"
    )
    if wrong := row.most_chosen_wrong:
        line += f"; most chosen wrong: {wrong[0]!r} ({wrong[1]})"
    if row.flags:
        line += " ⚑ " + "; ".join(row.flags)
    return line


def clip_lines(lines: Sequence[str], limit: int) -> str:
    """As many whole lines as fit in ``limit`` characters, then "… and N more"."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        more = len(lines) - index - 1
        tail = f"\n… and {more} more" if more else ""
        candidate = "\n".join([*kept, line])
        if len(candidate) + len(tail) > limit:
            break
        kept.append(line)
    left = len(lines) - len(kept)
    if left:
        kept.append(f"… and {left} more")
    return "\n".join(kept)


def summary(report: ClassReport) -> str:
    active = sum(1 for s in report.students if s.active_days)
    answered = sum(row.first_attempts for row in report.lessons)
    right = sum(row.first_correct for row in report.lessons)
    share = _percent(right / answered) if answered else "–"
    return (
        f"{plural(len(report.students), 'student')}, {active} active in {period_words(report)}; "
        f"{plural(answered, 'first attempt')} at quiz questions, {share} right."
    )


def _safe(text: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def students_csv(report: ClassReport) -> bytes:
    """``students.csv``: one row per student, by name."""
    return _csv(
        STUDENT_COLUMNS,
        (
            (
                s.user_id,
                _safe(s.name),
                s.active_days,
                s.streak,
                s.cards_reviewed,
                s.first_attempts,
                s.first_correct,
                "" if s.accuracy is None else round(100 * s.accuracy),
                s.exercises_solved,
                s.last_active.isoformat() if s.last_active else "",
            )
            for s in report.students
        ),
    )


def questions_csv(report: ClassReport) -> bytes:
    """``questions.csv``: one row per question in the report's scope, in course order."""
    rows = []
    for row in report.questions:
        item = row.item
        chosen = list(item.chosen) if item else []
        wrong = row.most_chosen_wrong
        rows.append(
            (
                row.question.id,
                row.question.lesson,
                _safe(row.question.prompt),
                row.answers,
                "" if item is None else round(100 * item.correct),
                "" if item is None or item.discrimination is None else f"{item.discrimination:.2f}",
                _safe(wrong[0]) if wrong else "",
                wrong[1] if wrong else "",
                *(chosen + [""] * 4)[:4],
                _safe("; ".join(row.flags)),
            )
        )
    return _csv(QUESTION_COLUMNS, rows)


def render_chart(report: ClassReport) -> bytes:
    """PNG: per lesson, the share of students who answered its questions and how often
    they were right first time."""
    title_font, font, small = (
        font_of(size) for size in (TITLE_FONT_SIZE, FONT_SIZE, SMALL_FONT_SIZE)
    )
    rows = report.lessons
    image = Image.new("RGB", (WIDTH, TOP + ROW * len(rows) + BOTTOM), BACKGROUND)
    draw = ImageDraw.Draw(image)
    title = f"Class report: {period_words(report)}"
    draw.text(
        (PAD, 30), fit(title, title_font, WIDTH - 2 * PAD), fill=TEXT, font=title_font, anchor="lm"
    )
    students = len(report.students)
    entries: tuple[LegendEntry, ...] = (
        (CARDS, f"answered its questions (of {plural(students, 'student')})"),
        (ACCURACY, "right first time"),
        (None, "not answered yet"),
    )
    legend(draw, 66, small, entries)
    draw.line((PAD, TOP - 10, WIDTH - PAD, TOP - 10), fill=RULE, width=1)
    for i, row in enumerate(rows):
        y = row_start(draw, i, row.lesson.title, font)
        if not row.first_attempts:
            empty_track(draw, CARDS_X, y, CARDS_W, "nobody yet", small)
            empty_track(draw, ACCURACY_X, y, ACCURACY_W, "not answered yet", small)
            continue
        reached = row.students / max(students, 1)
        bar(draw, CARDS_X, y, CARDS_W, reached, CARDS)
        x = CARDS_X + CARDS_W + NUMBER_GAP
        draw.text((x, y), _percent(reached), fill=TEXT, font=font, anchor="lm")
        share = row.first_correct / row.first_attempts
        bar(draw, ACCURACY_X, y, ACCURACY_W, share, ACCURACY)
        x = ACCURACY_X + ACCURACY_W + NUMBER_GAP
        draw.text((x, y), _percent(share), fill=TEXT, font=font, anchor="lm")
        x += round(font.getlength(_percent(share))) + 5
        answered = f"of {row.first_attempts}"
        draw.text((x, y), answered, fill=MUTED, font=small, anchor="lm")
    return png_bytes(image)
