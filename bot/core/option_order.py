"""The order a question's options are shown in: fresh and random each time it is shown.

Without it the key's position (or its length) answers the question. Everything that
grades or stores an answer speaks of options by their index in the content; only what is
shown uses positions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.curriculum.models import Question


@dataclass(frozen=True)
class Shown:
    """A question as one learner sees it: its options in a fresh random order, so the
    key's position tells nothing. ``order`` lists content indices in the order shown."""

    question: Question
    order: tuple[int, ...]
    seen_before: bool = False  # every question of its pool was answered: a repeat
    attempt: int | None = None  # answers to it before this showing (a double click shows)

    @property
    def options(self) -> tuple[str, ...]:
        return tuple(self.question.options[i] for i in self.order)

    def position_of(self, option: int) -> int:
        """Where the option with content index ``option`` was shown (0 = first)."""
        return self.order.index(option)

    @property
    def key_position(self) -> int:
        return self.position_of(self.question.answer_index)

    def encoded(self) -> str:
        """``"2013"``: short enough for a button's custom id, read back by ``decode``."""
        return "".join(map(str, self.order))

    @classmethod
    def as_written(cls, question: Question) -> Shown:
        """In the content's order (buttons sent before options were shuffled)."""
        return cls(question, tuple(range(len(question.options))))

    @classmethod
    def decode(cls, question: Question, text: str) -> Shown:
        order = tuple(int(c) for c in text if c.isdigit())
        if sorted(order) != list(range(len(question.options))):
            raise ValueError(f"{text!r} is not an order of {len(question.options)} options")
        return cls(question, order)


def shuffled(question: Question, rng: random.Random) -> Shown:
    order = list(range(len(question.options)))
    rng.shuffle(order)
    return Shown(question, tuple(order))
