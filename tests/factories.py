"""Small, fully controlled courses and a settable clock for learning-core tests."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fsrs import Scheduler

from bot.core.tutor import Tutor
from bot.curriculum.models import (
    Course,
    Difficulty,
    Example,
    Exercise,
    Flashcard,
    GlossaryTerm,
    KeyConcept,
    Lesson,
    Question,
    Summaries,
    WrongSolution,
)
from bot.sandbox.client import SandboxUnavailable
from bot.sandbox.result import CheckResult, GradeResult
from bot.storage.target import DatabaseTarget


def make_exercise(exercise_id: str, difficulty: Difficulty, lesson_id: str) -> Exercise:
    """The checks pass code containing "solved" (see ``CannedSandbox.grade``)."""
    return Exercise(
        id=exercise_id,
        title=exercise_id.title(),
        difficulty=difficulty,
        statement="Write it.",
        starter="# your code\n",
        checks="def check_solved(student): ...",
        hints=("Think.", "Think harder."),
        solution="solved = True\n",
        wrong_solutions=(WrongSolution(code="pass\n", fails="solved"),),
        lesson=lesson_id,
    )


def make_lesson(
    lesson_id: str, cards: int = 3, questions: int = 3, options: int = 2, exercises: int = 0
) -> Lesson:
    """Questions whose first option, "right", is the key (shuffling moves it when shown)."""
    difficulties = list(Difficulty)
    choices = ("right", "wrong", *(f"wrong {n}" for n in range(2, options)))
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
                options=choices,
                answer="right",
                explanation="because",
                difficulty=difficulties[i % 3],
                lesson=lesson_id,
            )
            for i in range(questions)
        ),
        exercises=tuple(
            make_exercise(f"{lesson_id}-x{i}", difficulties[i % 3], lesson_id)
            for i in range(exercises)
        ),
    )


def make_course(
    *lesson_ids: str, cards: int = 3, questions: int = 3, options: int = 2, exercises: int = 0
) -> Course:
    ids = lesson_ids or ("alpha", "beta")
    lessons = tuple(make_lesson(i, cards, questions, options, exercises) for i in ids)
    return Course(title="Test", lessons=lessons)


@dataclass
class FakeClock:
    """A clock tests move by hand; always timezone-aware."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class ManualTimer:
    """A ``sleep`` that returns only when the test says so, moving the clock as it does."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.requests: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()
        self._asleep = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        done = asyncio.get_running_loop().create_future()
        await self.requests.put((seconds, done))
        self._asleep.set()
        await done

    async def advance(self) -> float:
        """Wait for the next sleep, then end it; returns how long it was."""
        seconds, done = await self.requests.get()
        self.clock.advance(seconds=seconds)
        done.set_result(None)
        return seconds

    async def advance_until_asleep(self) -> float:
        """End the next sleep and wait until the sleeper sleeps again (all it does in
        between has happened)."""
        self._asleep.clear()
        seconds = await self.advance()
        if self.requests.empty():
            await self._asleep.wait()
        return seconds


@dataclass
class CannedSandbox:
    """Stands in for the sandbox client: answers with a result built from the code."""

    up: bool = True
    runs: list[tuple[str, str]] = field(default_factory=list)
    respond: Callable[[str, str], object] | None = None

    async def health(self) -> dict:
        if not self.up:
            raise SandboxUnavailable("worker down")
        return {"ok": True}

    async def run(self, code: str, *, stdin: str = "", timeout_s: float | None = None) -> object:
        self.runs.append((code, stdin))
        assert self.respond is not None
        return self.respond(code, stdin)

    async def grade(self, code: str, checks: str, *, timeout_s: float | None = None) -> GradeResult:
        """Passes code that says "solved"; "oops(" is a syntax error; the rest fails."""
        if not self.up:
            raise SandboxUnavailable("worker down")
        self.runs.append((code, checks))
        if "oops(" in code:
            return GradeResult("error", "SyntaxError on line 1: '(' was never closed", (), 5.0)
        passed = "solved" in code
        check = CheckResult(
            "solved", "pass" if passed else "fail", "" if passed else "nothing solved", "hi\n"
        )
        return GradeResult("pass" if passed else "fail", "", (check,), 5.0)


async def open_tutor(
    folder: Path,
    clock: FakeClock,
    sandbox: CannedSandbox | None = None,
    course: Course | None = None,
    database: DatabaseTarget | None = None,
) -> Tutor:
    """The core over a fresh database (``database``, or a SQLite file in ``folder``) and
    a small two-lesson course, with seeded choices and unfuzzed scheduling, so tests can
    name exact outcomes."""
    return await Tutor.open(
        database or folder / "tutor.sqlite3",
        course or make_course(),
        clock,
        rng=random.Random(1),
        scheduler=Scheduler(enable_fuzzing=False),
        sandbox=sandbox,
    )
