"""Small, fully controlled courses and a settable clock for learning-core tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.curriculum.models import (
    Course,
    Difficulty,
    Example,
    Flashcard,
    GlossaryTerm,
    KeyConcept,
    Lesson,
    Question,
    Summaries,
)


def make_lesson(lesson_id: str, cards: int = 3, questions: int = 3) -> Lesson:
    difficulties = list(Difficulty)
    return Lesson(
        id=lesson_id,
        title=lesson_id.title(),
        summaries=Summaries(basic="b", medium="m", detailed="d"),
        key_concepts=(KeyConcept(name="k", explanation="e"),),
        examples=(Example(title="t", code="print(1)", output="1\n", explanation="x"),),
        memory_aid="aid",
        glossary=(GlossaryTerm(term="t", definition="d"),),
        flashcards=tuple(
            Flashcard(id=f"{lesson_id}-c{i}", front=f"F{i}", back=f"B{i}", lesson=lesson_id)
            for i in range(cards)
        ),
        questions=tuple(
            Question(
                id=f"{lesson_id}-q{i}",
                prompt=f"Q{i}?",
                options=("right", "wrong"),
                answer="right",
                explanation="because",
                difficulty=difficulties[i % 3],
                lesson=lesson_id,
            )
            for i in range(questions)
        ),
    )


def make_course(*lesson_ids: str, cards: int = 3, questions: int = 3) -> Course:
    ids = lesson_ids or ("alpha", "beta")
    return Course(title="Test", lessons=tuple(make_lesson(i, cards, questions) for i in ids))


@dataclass
class FakeClock:
    """A clock tests move by hand; always timezone-aware."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
