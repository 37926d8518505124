"""The course: typed models and the loader that validates ``content/``."""

from bot.curriculum.loader import ContentError, Problem, load_course
from bot.curriculum.models import (
    Course,
    Difficulty,
    Exercise,
    Flashcard,
    Lesson,
    Level,
    Question,
)

__all__ = [
    "ContentError",
    "Course",
    "Difficulty",
    "Exercise",
    "Flashcard",
    "Lesson",
    "Level",
    "Problem",
    "Question",
    "load_course",
]
