"""/quiz: a question by lesson and difficulty, answered by letter, with the why."""

from __future__ import annotations

from bot.console.buttons import Button
from bot.console.commands import UsageError, command
from bot.console.session import Console
from bot.console.topics import lesson_named
from bot.core.quiz import QuizOutcome
from bot.curriculum.models import Difficulty, Question
from bot.render.words import points_earned

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
    question = await console.tutor.quiz.next_question(console.who, lesson_id, level)
    if question is None:
        console.say("No questions match that choice.")
        return
    show_question(console, f"Quiz ({question.lesson}, {question.difficulty.value})", question)

    def choose(index: int) -> Button:
        async def answer() -> None:
            outcome = await console.tutor.quiz.answer(console.who, question.id, index)
            show_feedback(console, outcome)
            console.offer(
                Button("Next question", lambda: ask(console, lesson_id, level)),
                Button("Stop", stop),
            )

        return Button(LETTERS[index], answer, aliases=(question.options[index],))

    async def stop() -> None:
        console.say("Quiz stopped. /progress shows how you are doing.")

    console.offer(*(choose(i) for i in range(len(question.options))), listed=False)


def show_question(console: Console, heading: str, question: Question) -> None:
    """The prompt, any code, and each option under its letter (hanging-indented)."""
    console.say(f"{heading}: **{question.prompt}**")
    if question.code:
        console.verbatim(question.code)
    for letter, option in zip(LETTERS, question.options, strict=False):
        console.say(option, indent=f"  {letter}) ")
    console.say(f"Answer with a letter (A-{LETTERS[len(question.options) - 1]}).")


def option_named(question: Question, index: int) -> str:
    return f"{LETTERS[index]}) {question.options[index]}"


def show_feedback(console: Console, outcome: QuizOutcome) -> None:
    if outcome.correct:
        console.say(f"Correct! {points_earned(outcome.award)}.")
    else:
        right = option_named(outcome.question, outcome.question.answer_index)
        console.say(f"Not quite. The answer is {right}", hanging="  ")
    console.say(f"Why: {outcome.explanation}")
