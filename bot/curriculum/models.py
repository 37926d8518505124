"""Typed, immutable models of the course.

Each string field carries the Discord limit of the place it is shown in (see
``limits``), so validation rejects text that could not be rendered.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.curriculum import display_limits as limits

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]


def _text(max_length: int) -> StringConstraints:
    """A non-empty stripped string of at most ``max_length`` characters."""
    return StringConstraints(min_length=1, max_length=max_length, strip_whitespace=True)


# Code is shown in a ```py fence inside an embed description.
CODE_MAX = limits.EMBED_DESCRIPTION - 600

# The text types, one per place a string is shown in.
TitleText = Annotated[str, _text(limits.EMBED_TITLE)]
DescriptionText = Annotated[str, _text(limits.EMBED_DESCRIPTION)]
FieldNameText = Annotated[str, _text(limits.EMBED_FIELD_NAME)]
FieldValueText = Annotated[str, _text(limits.EMBED_FIELD_VALUE)]
CodeText = Annotated[str, _text(CODE_MAX)]
CardFrontText = Annotated[str, _text(limits.EMBED_DESCRIPTION // 4)]
OptionText = Annotated[str, _text(limits.EMBED_FIELD_VALUE - 20)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Level(StrEnum):
    basic = "basic"
    medium = "medium"
    detailed = "detailed"


class Difficulty(StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


class QuestionKind(StrEnum):
    choice = "choice"
    predict_output = "predict_output"


class Summaries(Frozen):
    basic: DescriptionText
    medium: DescriptionText
    detailed: DescriptionText

    def at(self, level: Level) -> str:
        text: str = getattr(self, level.value)
        return text


class KeyConcept(Frozen):
    name: FieldNameText
    explanation: FieldValueText


class GlossaryTerm(Frozen):
    term: FieldNameText
    definition: FieldValueText


PythonRequirement = Annotated[str, StringConstraints(pattern=r"^>=3\.\d{1,2}$")]


class Example(Frozen):
    """A program and exactly what it prints (the test suite runs it and compares).

    ``python`` (``">=3.13"``) marks one that needs a newer Python than 3.11; ``runnable:
    false`` one that needs a package outside the standard library: it is shown as text,
    checked to compile, never run (so no "Run it").
    """

    title: TitleText
    code: CodeText
    output: str = Field(max_length=limits.EMBED_FIELD_VALUE - 20)
    explanation: FieldValueText
    python: PythonRequirement | None = None
    runnable: bool = True

    @property
    def min_python(self) -> tuple[int, int] | None:
        if self.python is None:
            return None
        major, minor = self.python.removeprefix(">=").split(".")
        return int(major), int(minor)


class Flashcard(Frozen):
    id: Slug
    front: CardFrontText
    back: FieldValueText
    lesson: str = ""  # filled in from the lesson file that holds the card
    by_teacher: bool = False  # a server's own, uploaded by its teacher


class Question(Frozen):
    """A multiple-choice question; ``predict_output`` ones ask what ``code`` prints.

    Cross-field rules (answer among options, distinct options, code present for
    ``predict_output``) are checked by the loader, which knows their line numbers.
    """

    id: Slug
    kind: QuestionKind = QuestionKind.choice
    prompt: TitleText
    code: CodeText | None = None
    options: tuple[OptionText, ...] = Field(min_length=2, max_length=5)
    answer: str
    explanation: FieldValueText
    difficulty: Difficulty
    lesson: str = ""
    by_teacher: bool = False  # a server's own, uploaded by its teacher

    @property
    def answer_index(self) -> int:
        return self.options.index(self.answer)


class WrongSolution(Frozen):
    """A plausible mistake, and the check that must catch it (the tests make sure)."""

    code: str
    fails: str  # the name of the check that fails on it


class Exercise(Frozen):
    """Code to write, graded in the sandbox by ``checks`` (format: content/README.md)."""

    id: Slug
    title: TitleText
    difficulty: Difficulty
    statement: DescriptionText
    starter: str = Field(max_length=4000)  # a Discord modal holds no more
    checks: str
    hints: tuple[FieldValueText, ...] = Field(min_length=2, max_length=3)
    solution: str
    wrong_solutions: tuple[WrongSolution, ...] = Field(min_length=1)
    lesson: str = ""


class Lesson(Frozen):
    id: Slug
    title: TitleText
    summaries: Summaries
    key_concepts: tuple[KeyConcept, ...] = Field(min_length=1, max_length=25)
    examples: tuple[Example, ...] = Field(min_length=1)
    memory_aid: DescriptionText
    glossary: tuple[GlossaryTerm, ...] = Field(min_length=1, max_length=25)
    prerequisites: tuple[Slug, ...] = ()
    flashcards: tuple[Flashcard, ...] = ()
    questions: tuple[Question, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    by_teacher: bool = False  # a server's own, uploaded by its teacher


class CourseIndex(Frozen):
    title: TitleText
    lessons: tuple[Slug, ...] = Field(min_length=1)


class Course(Frozen):
    """The whole validated course, lessons in teaching order."""

    title: str
    lessons: tuple[Lesson, ...]

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    # Computed once per (immutable) course: buttons look cards and questions up by id
    # on every click.
    @cached_property
    def flashcards(self) -> tuple[Flashcard, ...]:
        return tuple(card for lesson in self.lessons for card in lesson.flashcards)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for lesson in self.lessons for q in lesson.questions)

    @cached_property
    def exercises(self) -> tuple[Exercise, ...]:
        return tuple(e for lesson in self.lessons for e in lesson.exercises)

    @cached_property
    def _cards_by_id(self) -> dict[str, Flashcard]:
        return {card.id: card for card in self.flashcards}

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {question.id: question for question in self.questions}

    def flashcard(self, card_id: str) -> Flashcard | None:
        return self._cards_by_id.get(card_id)

    def question(self, question_id: str) -> Question | None:
        return self._questions_by_id.get(question_id)

    def exercise(self, exercise_id: str) -> Exercise | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)
