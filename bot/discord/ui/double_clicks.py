"""Double clicks: Discord delivers both clicks of a double click, each as its own
interaction, carrying the message as it was when clicked.

For a button that moves its own message on (the next card, the next question: see
``action(moves_its_message=True)``), a click on the same version of that message by the
same person, seconds after one already handled, is that second click: it is answered
"already counted" and does nothing (no second "Next" question, no second undo). Writes
are also guarded in the core (a rating or an answer carries its count); this catches the
buttons that write nothing. The memory is bounded: old entries are dropped as new ones
come.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

import discord

WINDOW_S = 10.0
KEPT = 4096
ALREADY_COUNTED = "That click was already counted."


class RecentClicks:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def first(self, key: Hashable) -> bool:
        """True the first time ``key`` is seen within the window; remembers it."""
        now = self._clock()
        while self._seen and (
            len(self._seen) >= KEPT or now - next(iter(self._seen.values())) > WINDOW_S
        ):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def click_key(interaction: discord.Interaction) -> Hashable:
    message = interaction.message
    version = None if message is None else (message.id, message.edited_at)
    custom_id = interaction.data.get("custom_id") if interaction.data else None
    return (interaction.user.id, version, custom_id)
