"""A saved daily-prompt schedule confirmed in words, the same in every frontend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.core.daily import Scheduled
from bot.core.daily_rules import WEEKDAYS


def schedule_text(what: str, scheduled: Scheduled, moment: Callable[[datetime], str]) -> str:
    """``moment`` shows the next prompt's time as the frontend can (Discord shows it in
    each reader's own timezone)."""
    text = f"{what} at **{scheduled.at:%H:%M}** ({scheduled.timezone})."
    if scheduled.leaderboard_weekday is not None:
        text += f" The week's leaderboard on {WEEKDAYS[scheduled.leaderboard_weekday].title()}s."
    if scheduled.next_at is not None:
        text += f" Next: {moment(scheduled.next_at)}."
    return text
