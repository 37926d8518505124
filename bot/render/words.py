"""Numbers in words, the same in every frontend: plurals, durations, points earned."""

from __future__ import annotations

from bot.core.scoring import Award


def plural(count: int, noun: str) -> str:
    """``1 day``, ``2 days``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def duration(seconds: float) -> str:
    """Roughly how long, in the largest unit that fits: ``3 days``, ``1 hour``."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return plural(round(seconds / size), unit)
    return "less than a minute"


def points_earned(award: Award) -> str:
    """``+12 points`` or, with the day's first-activity bonus, ``+12 points (10 + 2 for
    your 2-day streak)`` so a learner sees where the number comes from."""
    text = f"+{plural(award.total, 'point')}"
    if award.bonus:
        streak = award.streak.current
        text += f" ({award.points} + {award.bonus} for your {streak}-day streak)"
    return text


SEEN_EVERY_QUESTION = (
    "You have answered every question here; repeating them, the ones you missed first."
)
