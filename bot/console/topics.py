"""Which lesson a typed topic means: its number in /lessons, its id, title or start."""

from __future__ import annotations

from bot.console.commands import UsageError
from bot.console.session import Console
from bot.core.context import CONSOLE_GUILD
from bot.curriculum.models import Lesson
from bot.curriculum.search import UnknownLesson, resolve_lesson


def lesson_named(console: Console, topic: str) -> Lesson:
    if not topic:
        raise UsageError("Which lesson? /lesson topic:<number or id> (see /lessons)")
    try:
        return resolve_lesson(console.tutor.course_for(CONSOLE_GUILD), topic)
    except UnknownLesson as exc:
        ideas = exc.suggestions
        hint = f" Did you mean {', '.join(i.id for i in ideas)}?" if ideas else ""
        raise UsageError(f"No lesson {topic!r}.{hint} (see /lessons)") from None
