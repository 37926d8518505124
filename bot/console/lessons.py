"""/lessons and /lesson: the outline with progress, and a lesson at a chosen depth."""

from __future__ import annotations

from bot.console import flashcards, quiz
from bot.console.buttons import Action, Button
from bot.console.commands import UsageError, command
from bot.console.run import show_run
from bot.console.session import Console
from bot.console.topics import lesson_named
from bot.core.context import CONSOLE_GUILD
from bot.curriculum.models import Lesson, Level


@command("lessons", help="/lessons: the course outline with your progress")
async def outline(console: Console) -> None:
    rows = await console.tutor.progress.by_lesson(console.who)
    console.say(f"**{console.tutor.course_for(CONSOLE_GUILD).title}**")
    for number, row in enumerate(rows, 1):
        quiz = f" · quiz {row.correct}/{row.answered} right" if row.answered else ""
        solved = (
            f" · {row.exercises_solved}/{row.exercises_total} exercises"
            if row.exercises_total
            else ""
        )
        mine = " · your teacher's" if row.by_teacher else ""
        console.say(
            f"**{row.title}** ({row.lesson_id}) · {row.cards_seen}/{row.cards_total} cards"
            f" studied{quiz}{solved}{mine}",
            indent=f"{number:2}. ",
        )
    console.say("Read one with /lesson topic:<number or id> level:basic|medium|detailed")


@command("lesson", "topic", "level", help="/lesson topic:coroutines level:basic (or /lesson 2)")
async def read(console: Console, topic: str = "", level: str = "basic") -> None:
    lesson = lesson_named(console, topic)
    try:
        depth = Level(level.lower())
    except ValueError:
        raise UsageError("level must be one of basic, medium, detailed.") from None
    await show_summary(console, lesson, depth)


async def show_summary(console: Console, lesson: Lesson, depth: Level) -> None:
    position = console.tutor.course_for(CONSOLE_GUILD).lessons.index(lesson) + 1
    console.say(f"== {position}. {lesson.title} ({depth.value}) ==")
    console.say(lesson.summaries.at(depth))
    await offer_lesson_buttons(console, lesson, exclude=depth)


async def offer_lesson_buttons(
    console: Console, lesson: Lesson, exclude: Level | None = None
) -> None:
    def then_buttons(show: Action) -> Action:
        async def action() -> None:
            await show()
            await offer_lesson_buttons(console, lesson)

        return action

    def level_button(depth: Level) -> Button:
        return Button(depth.value.title(), lambda: show_summary(console, lesson, depth))

    async def concepts() -> None:
        for concept in lesson.key_concepts:
            console.say(f"**{concept.name}**: {concept.explanation}", indent="- ")

    async def examples() -> None:
        for number, example in enumerate(lesson.examples, 1):
            console.say(f"-- Example {number}: {example.title} --")
            console.verbatim(example.code)
            console.say("Output:")
            console.verbatim(example.output or "(nothing)")
            console.say(example.explanation)

    async def memory_aid() -> None:
        console.say(f"Memory aid: {lesson.memory_aid}")

    def run_button(index: int) -> Button:
        label = "Run it" if len(lesson.examples) == 1 else f"Run example {index + 1}"

        async def run() -> None:
            await show_run(console, lambda: console.tutor.code.run_example(lesson.id, index))

        return Button(label, then_buttons(run))

    runnable = await console.tutor.code.available()
    console.offer(
        *(level_button(d) for d in Level if d is not exclude),
        Button("Key concepts", then_buttons(concepts)),
        Button("Example", then_buttons(examples)),
        *(run_button(i) for i, ex in enumerate(lesson.examples) if runnable and ex.runnable),
        Button("Memory aid", then_buttons(memory_aid)),
        Button("Flashcards for this lesson", lambda: flashcards.review(console, lesson.id)),
        Button("Quiz me on this", lambda: quiz.ask(console, lesson.id)),
    )
