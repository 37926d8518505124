"""The Discord frontend's memory of clicks it handled: a repeat within seconds is the
second click of a double click; the memory stays bounded."""

from __future__ import annotations

from bot.discord.ui import double_clicks
from bot.discord.ui.double_clicks import WINDOW_S, RecentClicks


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_same_click_twice_in_the_window_is_refused_once_and_later_allowed() -> None:
    ticks = Ticks()
    clicks = RecentClicks(ticks)
    assert clicks.first(("ada", 1, "t:quiz-next"))
    assert not clicks.first(("ada", 1, "t:quiz-next"))
    assert clicks.first(("bo", 1, "t:quiz-next"))  # someone else's click
    assert clicks.first(("ada", 2, "t:quiz-next"))  # the message changed since
    ticks.now += WINDOW_S + 1
    assert clicks.first(("ada", 1, "t:quiz-next"))  # a new click, long after


def test_the_memory_is_bounded(monkeypatch) -> None:
    monkeypatch.setattr(double_clicks, "KEPT", 100)
    clicks = RecentClicks(Ticks())
    for n in range(1000):
        assert clicks.first(n)
    assert len(clicks._seen) <= 100
