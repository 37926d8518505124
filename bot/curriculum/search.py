"""Finding lessons by what people type: ids, titles, prefixes and typos."""

from __future__ import annotations

import difflib

from bot.curriculum.models import Course, Lesson


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").replace("_", " ").split())


def find_lesson(course: Course, query: str) -> Lesson | None:
    """Its number in the outline (as /lessons shows it), exact id or title (any case,
    spaces or dashes), else a unique prefix match."""
    wanted = _norm(query)
    if not wanted:
        return None
    if wanted.isdigit():
        number = int(wanted)
        return course.lessons[number - 1] if 1 <= number <= len(course.lessons) else None
    for lesson in course.lessons:
        if wanted in (_norm(lesson.id), _norm(lesson.title)):
            return lesson
    prefixed = [lesson for lesson in course.lessons if _norm(lesson.id).startswith(wanted)]
    return prefixed[0] if len(prefixed) == 1 else None


class UnknownLesson(LookupError):
    """No lesson matches what was typed; ``suggestions`` are lessons that look like it."""

    def __init__(self, typed: str, suggestions: list[Lesson]) -> None:
        super().__init__(typed)
        self.typed = typed
        self.suggestions = suggestions


def resolve_lesson(course: Course, query: str) -> Lesson:
    """The lesson ``query`` means, or ``UnknownLesson`` with "did you mean" suggestions."""
    lesson = find_lesson(course, query)
    if lesson is None:
        raise UnknownLesson(query, suggest_lessons(course, query))
    return lesson


def suggest_lessons(course: Course, query: str, limit: int = 3) -> list[Lesson]:
    """Lessons whose id or title looks like ``query`` (for "did you mean ...?")."""
    names = {}
    for lesson in course.lessons:
        names[_norm(lesson.id)] = lesson
        names[_norm(lesson.title)] = lesson
    close = difflib.get_close_matches(_norm(query), list(names), n=limit * 2, cutoff=0.5)
    contains = [n for n in names if _norm(query) and _norm(query) in n]
    result: list[Lesson] = []
    for name in [*contains, *close]:
        if names[name] not in result:
            result.append(names[name])
    return result[:limit]


def complete_lessons(course: Course, typed: str, limit: int = 25) -> list[Lesson]:
    """Autocomplete: lessons whose id or title contains what was typed, in course order."""
    wanted = _norm(typed)
    return [
        lesson
        for lesson in course.lessons
        if wanted in _norm(lesson.id) or wanted in _norm(lesson.title)
    ][:limit]
