"""/exercise and /class-exercise in the console: the same exercises as in Discord; code is
typed until a line with only . (or read from a file with file:PATH)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from bot.console.buttons import Button
from bot.console.commands import UsageError, command
from bot.console.run import read_program
from bot.console.session import Console
from bot.console.topics import lesson_named
from bot.core.class_exercises import DEFAULT_MINUTES, AssignmentSummary
from bot.core.context import CONSOLE_GUILD
from bot.core.exercises import MAX_CODE_BYTES, ExerciseStatus
from bot.curriculum.models import Exercise
from bot.render.exercises import check_lines, student_output, summary_lines, timing, verdict_line

CONSOLE_CHANNEL = 0


@command("exercise next", "lesson", help="/exercise next [lesson:..]: your next unsolved exercise")
async def next_exercise(console: Console, lesson: str = "") -> None:
    lesson_id = lesson_named(console, lesson).id if lesson else None
    status = await console.tutor.exercises.next(console.who, lesson_id)
    if status is None:
        console.say("🎉 You have solved every exercise here. /exercise list shows them.")
        return
    show(console, status)


@command("exercise show", "exercise", help="/exercise show exercise:ID: open one exercise")
async def show_exercise(console: Console, exercise: str = "") -> None:
    if not exercise:
        raise UsageError("Which exercise? /exercise list shows their ids.")
    show(console, await console.tutor.exercises.show(console.who, exercise))


@command(
    "exercise list", "lesson", help="/exercise list [lesson:..]: the exercises, solved ones ticked"
)
async def list_exercises(console: Console, lesson: str = "") -> None:
    lesson_id = lesson_named(console, lesson).id if lesson else None
    statuses = await console.tutor.exercises.statuses(console.who, lesson_id)
    if not statuses:
        console.say("There are no exercises for that choice.")
        return
    solved = sum(s.solved for s in statuses)
    console.say(f"**Exercises: {solved} of {len(statuses)} solved**")
    for s in statuses:
        e = s.exercise
        console.say(f"{'✅' if s.solved else '▫️'} {e.id}: {e.title} ({e.difficulty}, {e.lesson})")


@command(
    "exercise submit",
    "exercise",
    "file",
    help="/exercise submit [exercise:ID] [file:PATH]: type your code (or give a file)",
)
async def submit(console: Console, exercise: str = "", file: str = "") -> None:
    exercise_id = exercise or await console.tutor.exercises.last_shown(console.who)
    if exercise_id is None:
        raise UsageError("Which exercise? Name it, or open one with /exercise next.")
    if file:
        await grade(console, exercise_id, await read_code(Path(file)))
    else:
        type_code(console, exercise_id)


async def read_code(path: Path) -> str:
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_CODE_BYTES:
        raise UsageError(f"{path} is over {MAX_CODE_BYTES // 1024} KiB; trim it.")
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text.") from None


def show(console: Console, status: ExerciseStatus, hints: int = 0) -> None:
    exercise = status.exercise
    state = "solved ✅" if status.solved else f"{status.attempts} attempt(s)"
    console.say(f"**Exercise · {exercise.title}** ({exercise.id}, {exercise.difficulty}, {state})")
    console.say(exercise.statement)
    for number, hint in enumerate(exercise.hints[:hints], 1):
        console.say(f"💡 Hint {number}: {hint}")
    console.say("Starting point:" if status.last_code is None else "Your last attempt:")
    console.verbatim(status.draft)
    offer_buttons(console, status, hints)


def offer_buttons(console: Console, status: ExerciseStatus, hints: int = 0) -> None:
    exercise = status.exercise
    buttons = [Button("Submit", lambda: _submit_typed(console, exercise.id))]
    if hints < len(exercise.hints):
        buttons.append(Button(f"Hint {hints + 1}", lambda: _hint(console, exercise.id, hints + 1)))
    if status.solution_unlocked:
        buttons.append(Button("Solution", lambda: _solution(console, exercise.id)))
    console.offer(*buttons)


async def _submit_typed(console: Console, exercise_id: str) -> None:
    type_code(console, exercise_id)


async def _hint(console: Console, exercise_id: str, hints: int) -> None:
    status = await console.tutor.exercises.status(console.who, exercise_id)
    console.say(f"💡 Hint {hints}: {status.exercise.hints[hints - 1]}")
    offer_buttons(console, status, hints)


async def _solution(console: Console, exercise_id: str) -> None:
    solution = await console.tutor.exercises.solution(console.who, exercise_id)
    console.say("A solution (yours may differ and be just as right):")
    console.verbatim(solution)


def type_code(console: Console, exercise_id: str) -> None:
    async def submit(code: str) -> None:
        await grade(console, exercise_id, code + "\n")

    read_program(console, submit, "submits it", "nothing was submitted")


async def grade(console: Console, exercise_id: str, code: str) -> None:
    console.say("Grading in the sandbox…")
    graded = await console.tutor.exercises.submit(console.who, exercise_id, code)
    console.say(verdict_line(graded))
    for line in check_lines(graded.result):
        console.say(line, indent="  ")
    if output := student_output(graded.result):
        console.say("Your code printed:")
        console.verbatim(output)
    console.say(timing(graded.result))
    offer_buttons(console, graded.status)


@command(
    "class-exercise start",
    "exercise",
    "minutes",
    help="/class-exercise start exercise:ID [minutes:1-180]: set it for the class",
    teachers_only=True,
)
async def class_start(console: Console, exercise: str = "", minutes: str = "") -> None:
    if not exercise:
        raise UsageError("Which exercise? /exercise list shows their ids.")
    try:
        length = int(minutes) if minutes else DEFAULT_MINUTES
    except ValueError:
        raise UsageError(f"minutes must be a whole number, not {minutes!r}.") from None
    await console.tutor.class_exercises.start(
        CONSOLE_GUILD, CONSOLE_CHANNEL, console.who.user_id, exercise, length,
        PrintedAssignment(console),
    )  # fmt: skip


@command(
    "class-exercise stop",
    help="/class-exercise stop: end the class exercise now and show the summary",
    teachers_only=True,
)
async def class_stop(console: Console) -> None:
    summary = await console.tutor.class_exercises.stop(CONSOLE_CHANNEL)
    if summary is None:
        raise UsageError("No class exercise is set.")
    print_summary(console, summary)


def print_summary(console: Console, summary: AssignmentSummary) -> None:
    first, *rest = summary_lines(summary)
    console.say(f"📝 {first}")
    for line in rest:
        console.say(line, indent="  ")


class PrintedAssignment:
    """A class assignment's presenter: what Discord posts in the channel, printed."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def announce(self, exercise: Exercise, ends_at: datetime) -> None:
        self.console.say(
            f"📝 **Class exercise: {exercise.title}** ({exercise.id}) until "
            f"{ends_at:%H:%M} UTC. Students: /user NAME, then /exercise show "
            f"exercise:{exercise.id}."
        )

    async def finished(self, summary: AssignmentSummary) -> None:
        print_summary(self.console, summary)
