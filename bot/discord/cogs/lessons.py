"""/lessons and /lesson: the course outline and reading a lesson at a chosen depth."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.curriculum import search
from bot.curriculum.models import Lesson, Level
from bot.discord.ui import lesson as lesson_views
from bot.discord.ui.autocomplete import lesson_autocomplete
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import COLOUR, clip
from bot.discord.ui.replies import UserFacingError

LEVEL_CHOICES = [
    app_commands.Choice(name=level.value.title(), value=level.value) for level in Level
]


def resolve_lesson(interaction: discord.Interaction, topic: str) -> Lesson:
    """The lesson a user typed, or a friendly error with "did you mean" suggestions."""
    try:
        return search.resolve_lesson(
            tutor_bot(interaction).tutor.course_for(learner_of(interaction).guild_id), topic
        )
    except search.UnknownLesson as exc:
        ideas = exc.suggestions
        hint = f" Did you mean {', '.join(f'`{i.id}`' for i in ideas)}?" if ideas else ""
        raise UserFacingError(f"I don't know a lesson called “{clip(topic, 80)}”.{hint}") from None


class Lessons(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="lessons", description="The course outline with your progress")
    async def lessons(self, interaction: discord.Interaction) -> None:
        tutor = tutor_bot(interaction).tutor
        rows = {
            row.lesson_id: row for row in await tutor.progress.by_lesson(learner_of(interaction))
        }
        lines = []
        course = tutor.course_for(learner_of(interaction).guild_id)
        for n, lesson in enumerate(course.lessons, 1):
            row = rows[lesson.id]
            quiz = f" · quiz {row.correct}/{row.answered}" if row.answered else ""
            solved = (
                f" · 🧩 {row.exercises_solved}/{row.exercises_total} exercises"
                if row.exercises_total
                else ""
            )
            mine = " ✏️ your teacher's" if lesson.by_teacher else ""
            lines.append(
                f"**{n}. {lesson.title}** (`{lesson.id}`){mine}\n"
                f"🗂 {row.cards_seen}/{row.cards_total} cards studied{quiz}{solved}"
            )
        embed = discord.Embed(title=course.title, description="\n".join(lines), colour=COLOUR)
        embed.set_footer(text="Open one with /lesson")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="lesson", description="Read a lesson summary")
    @app_commands.describe(topic="Which lesson", level="How deep: basic, medium or detailed")
    @app_commands.autocomplete(topic=lesson_autocomplete)
    @app_commands.choices(level=LEVEL_CHOICES)
    async def lesson(
        self, interaction: discord.Interaction, topic: str, level: str = Level.basic.value
    ) -> None:
        found = resolve_lesson(interaction, topic)
        await interaction.response.send_message(
            **await lesson_views.render(interaction, found, level), ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Lessons(bot))
