"""A server's own content in words, the same in every frontend."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.teacher_content import Uploaded, UploadRow
from bot.curriculum.loader import Problem
from bot.render.words import plural

PROBLEMS_SHOWN = 20


def problem_lines(problems: list[Problem]) -> list[str]:
    """The first problems as ``file:line: message``, then how many more there are."""
    lines = [str(p) for p in problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(f"and {len(problems) - PROBLEMS_SHOWN} more")
    return lines


def refused_line(problems: list[Problem]) -> str:
    return f"Nothing was saved: {plural(len(problems), 'problem')} to fix."


def uploaded_line(done: Uploaded) -> str:
    parts = [
        plural(n, noun)
        for n, noun in ((done.lessons, "lesson"), (done.questions, "question"),
                        (done.flashcards, "flashcard"))
        if n
    ]  # fmt: skip
    what = ", ".join(parts)
    if done.version is None:
        return f"Checked, all fine: {what}. Nothing saved (dry run)."
    return f"Saved as version {done.version}: {what}. Your students see it now."


def upload_lines(rows: list[UploadRow]) -> list[str]:
    if not rows:
        return ["No content of this server's own yet: /tutor-content template shows the formats."]
    lines = []
    for row in rows:
        when = datetime.fromtimestamp(row.uploaded_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        kept = "" if row.live == row.items else f", {row.live} still live"
        lines.append(
            f"v{row.version} · {row.filename} · {plural(row.items, 'item')}{kept} · {when}"
        )
    return lines


def removed_line(count: int, target: str) -> str:
    if count == 0:
        return f"Nothing matched {target!r}: give a version number from the list, or an item id."
    return f"Removed {plural(count, 'item')}. Students' progress on them is kept if they return."
