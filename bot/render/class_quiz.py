"""What a student is told about a click in a class quiz, and the lines of a quiz a crash
cut short: the same words in Discord and in the console."""

from __future__ import annotations

from bot.core.class_quizzes import Interrupted
from bot.core.classquiz import Verdict
from bot.render.words import plural

REPLIES = {
    Verdict.closed: "⌛ Time's up for this question.",
    Verdict.stale: "That question is over; watch for the next one.",
    Verdict.bad_option: "That option does not exist.",
    Verdict.over: "This class quiz is over.",
    Verdict.not_saved: "⚠️ Your answer could not be saved. Please click again.",
}

ENDED_EARLY = "Class quiz ended early: the tutor restarted"


def standings_lines(quiz: Interrupted) -> list[str]:
    """Best first, with the answers saved before the restart (all of them count)."""
    return [
        f"{place}. {s.name}: {plural(s.points, 'point')} ({s.correct}/{quiz.questions} right)"
        for place, s in enumerate(quiz.standings, 1)
    ] or ["Nobody had answered."]


def ended_early_note(quiz: Interrupted) -> str:
    return (
        f"Stopped after question {quiz.reached} of {quiz.questions}. Every answer locked "
        "in before the restart counts in /progress."
    )
