"""A lesson message: summary at a depth, and buttons for everything else about it."""

from __future__ import annotations

import discord

from bot.curriculum.models import Lesson, Level
from bot.discord.ui import embeds
from bot.discord.ui.actions import ActionButton, action, button, view_of
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.replies import EmbedMessage, UserFacingError

PARTS = ("concepts", "example", "aid")


def lesson_view(lesson: Lesson, showing: str, can_run: bool) -> discord.ui.View:
    def part(label: str, name: str) -> ActionButton:
        current = name == showing
        style = discord.ButtonStyle.primary if current else discord.ButtonStyle.secondary
        return button(label, "lesson", lesson.id, name, style=style, disabled=current)

    extras = [part("Key concepts", "concepts"), part("Example", "example")]
    if can_run:
        extras.append(
            button("Run it", "lesson-run", lesson.id, style=discord.ButtonStyle.success, emoji="▶")
        )
    extras.append(part("Memory aid", "aid"))
    return view_of(
        [part(level.value.title(), level.value) for level in Level],
        extras,
        [
            button("Flashcards for this lesson", "cards-start", lesson.id, emoji="🗂"),
            button("Quiz me on this", "quiz-next", lesson.id, "any", "new", emoji="❓"),
        ],
    )


def lesson_embed(interaction: discord.Interaction, lesson: Lesson, showing: str) -> discord.Embed:
    course = tutor_bot(interaction).tutor.course_for(learner_of(interaction).guild_id)
    if showing == "concepts":
        return embeds.concepts_embed(lesson)
    if showing == "example":
        return embeds.example_embed(lesson, lesson.examples[0])
    if showing == "aid":
        return embeds.memory_aid_embed(lesson)
    position = course.lessons.index(lesson) + 1
    return embeds.lesson_embed(lesson, position, len(course.lessons), Level(showing))


def find(interaction: discord.Interaction, lesson_id: str) -> Lesson:
    lesson = (
        tutor_bot(interaction).tutor.course_for(learner_of(interaction).guild_id).lesson(lesson_id)
    )
    if lesson is None:
        raise UserFacingError("That lesson is no longer in the course; see /lessons.")
    return lesson


async def render(interaction: discord.Interaction, lesson: Lesson, showing: str) -> EmbedMessage:
    # Only the first example has a button (one per lesson message); text-only ones none.
    can_run = lesson.examples[0].runnable and await tutor_bot(interaction).tutor.code.available()
    return {
        "embed": lesson_embed(interaction, lesson, showing),
        "view": lesson_view(lesson, showing, can_run),
    }


@action("lesson", moves_its_message=True)
async def switch_part(interaction: discord.Interaction, args: list[str]) -> None:
    lesson_id, showing = args
    if showing not in PARTS and showing not in {level.value for level in Level}:
        raise UserFacingError("Unknown lesson part.")
    lesson = find(interaction, lesson_id)
    await interaction.response.edit_message(**await render(interaction, lesson, showing))
