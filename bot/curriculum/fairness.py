"""Questions that measure what a student knows, not how they guess.

Options are shuffled when shown, so an explanation must never point at an option by
position ("the second option", "option B", "the last one"), and the key must not stand
out by its length: across the course, the share of choice questions whose key is strictly
the longest option (or strictly the shortest) stays at or under ``MAX_LENGTH_TELL``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.curriculum.models import Question, QuestionKind

MAX_LENGTH_TELL = 0.35
_ORDINALS = r"first|second|third|fourth|fifth|last|final|top|bottom"
POSITION_REFERENCE = re.compile(
    rf"\b(?:(?:{_ORDINALS})\s+(?:option|answer|choice|one)s?"
    r"|(?:option|answer|choice)\s+[A-E]\b"
    r"|[A-E]\)\s"
    r"|(?:options?|answers?)\s+\d)",
    re.IGNORECASE,
)


def position_reference(text: str) -> str | None:
    """The words that point at an option by position, if any."""
    match = POSITION_REFERENCE.search(text)
    return match[0] if match else None


@dataclass(frozen=True)
class LengthTell:
    questions: int  # choice questions counted
    key_longest: int  # key strictly the longest option
    key_shortest: int  # key strictly the shortest option

    def share(self, count: int) -> float:
        return count / self.questions if self.questions else 0.0

    @property
    def too_telling(self) -> bool:
        return max(self.share(self.key_longest), self.share(self.key_shortest)) > MAX_LENGTH_TELL


def length_tell(questions: Iterable[Question]) -> LengthTell:
    counted = longest = shortest = 0
    for question in questions:
        if question.kind is not QuestionKind.choice:
            continue
        key = len(question.answer)
        others = [len(o) for i, o in enumerate(question.options) if i != question.answer_index]
        counted += 1
        longest += key > max(others)
        shortest += key < min(others)
    return LengthTell(counted, longest, shortest)
