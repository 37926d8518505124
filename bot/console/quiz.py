"""/quiz: a question by lesson and difficulty, answered by letter, with the why."""

from __future__ import annotations

from bot.console.buttons import Button
from bot.console.commands import UsageError, command
from bot.console.session import Console
from bot.console.topics import lesson_named
from bot.core.option_order import Shown
from bot.core.quiz import QuizOutcome
from bot.curriculum.models import Difficulty
from bot.render.words import SEEN_EVERY_QUESTION, points_earned

LETTERS = "ABCDE"


@command("quiz", "lesson", "difficulty", help="/quiz [lesson:..] [difficulty:easy|medium|hard]")
async def quiz(console: Console, lesson: str = "", difficulty: str = "") -> None:
    lesson_id = lesson_named(console, lesson).id if lesson else None
    try:
        level = Difficulty(difficulty.lower()) if difficulty else None
    except ValueError:
        raise UsageError("difficulty must be one of easy, medium, hard.") from None
    await ask(console, lesson_id, level)


async def ask(console: Console, lesson_id: str | None, level: Difficulty | None = None) -> None:
    shown = await console.tutor.quiz.next_question(console.who, lesson_id, level)
    if shown is None:
        console.say("No questions match that choice.")
        return
    question = shown.question
    if shown.seen_before:
        console.say(SEEN_EVERY_QUESTION)
    show_question(console, f"Quiz ({question.lesson}, {question.difficulty.value})", shown)

    def choose(position: int) -> Button:
        async def answer() -> None:
            chosen = shown.order[position]
            outcome = await console.tutor.quiz.answer(console.who, shown, chosen)
            show_feedback(console, outcome)
            console.offer(
                Button("Next question", lambda: ask(console, lesson_id, level)),
                Button("Stop", stop),
            )

        return Button(LETTERS[position], answer, aliases=(shown.options[position],))

    async def stop() -> None:
        console.say("Quiz stopped. /progress shows how you are doing.")

    console.offer(*(choose(i) for i in range(len(shown.options))), listed=False)


def show_question(console: Console, heading: str, shown: Shown) -> None:
    """The prompt, any code, and each option under its letter (hanging-indented), in
    the order this learner sees them."""
    console.say(f"{heading}: **{shown.question.prompt}**")
    if shown.question.code:
        console.verbatim(shown.question.code)
    for letter, option in zip(LETTERS, shown.options, strict=False):
        console.say(option, indent=f"  {letter}) ")
    console.say(f"Answer with a letter (A-{LETTERS[len(shown.options) - 1]}).")


def option_named(shown: Shown, option: int) -> str:
    """The option with content index ``option`` by its letter as shown and its text."""
    position = shown.position_of(option)
    return f"{LETTERS[position]}) {shown.options[position]}"


def show_feedback(console: Console, outcome: QuizOutcome) -> None:
    if outcome.correct:
        console.say(f"Correct! {points_earned(outcome.award)}.")
    else:
        right = option_named(outcome.shown, outcome.question.answer_index)
        console.say(f"Not quite. The answer is {right}", hanging="  ")
    console.say(f"Why: {outcome.explanation}")
