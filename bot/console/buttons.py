"""Buttons in a terminal: printed numbered, pressed by number, label or a label's start.

Private buttons belong to the learner they were shown to (switching user with ``/user``
hides them until that learner is back); shared buttons, like a class quiz's answers,
are for whoever is typing, as a channel message's buttons are in Discord.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.console.commands import UsageError

Action = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Button:
    label: str
    action: Action
    aliases: tuple[str, ...] = ()

    def names(self, number: int) -> set[str]:
        return {str(number), self.label.lower(), *(alias.lower() for alias in self.aliases)}


class Buttons:
    def __init__(self) -> None:
        self._private: dict[int, list[Button]] = {}
        self._shared: list[Button] = []

    def show_private(self, owner: int, buttons: list[Button]) -> None:
        self._private[owner] = buttons

    def show_shared(self, buttons: list[Button]) -> None:
        self._shared = buttons

    def clear_private(self, owner: int) -> None:
        self._private.pop(owner, None)

    def clear_shared(self) -> None:
        self._shared = []

    def any_for(self, owner: int) -> bool:
        return bool(self._private.get(owner) or self._shared)

    def press(self, owner: int, typed: str) -> Button:
        """Find the button; a private one takes its set away, as Discord's edited message
        would (shared buttons stay: a class quiz answer can be clicked again)."""
        button = self.find(owner, typed)
        if button in self._private.get(owner, []):
            self.clear_private(owner)
        return button

    def find(self, owner: int, typed: str) -> Button:
        """The button ``typed`` names: its own buttons first, then the shared ones; a
        label may be shortened to any unambiguous start ("next" for "Next question")."""
        wanted = typed.strip().lower()
        for group in (self._private.get(owner, []), self._shared):
            numbered = list(enumerate(group, 1))
            for number, button in numbered:
                if wanted in button.names(number):
                    return button
            starts = [b for n, b in numbered if any(x.startswith(wanted) for x in b.names(n))]
            if len(starts) == 1:
                return starts[0]
            if len(starts) > 1:
                labels = " or ".join(repr(b.label) for b in starts)
                raise UsageError(f"{typed!r} could be {labels}; type more of it.")
        count = len(self._private.get(owner) or self._shared)
        raise UsageError(f"Choose 1-{count} or a label, or type a command.")
