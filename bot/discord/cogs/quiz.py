"""/quiz: a private question, by lesson and difficulty."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.curriculum.models import Difficulty
from bot.discord.cogs.lessons import resolve_lesson
from bot.discord.ui.autocomplete import lesson_autocomplete
from bot.discord.ui.quiz import ANY, ask

DIFFICULTY_CHOICES = [app_commands.Choice(name=d.value.title(), value=d.value) for d in Difficulty]


class Quiz(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="quiz", description="Answer a quiz question (private)")
    @app_commands.describe(lesson="Only questions of this lesson", difficulty="How hard")
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    @app_commands.choices(difficulty=DIFFICULTY_CHOICES)
    async def quiz(
        self,
        interaction: discord.Interaction,
        lesson: str | None = None,
        difficulty: str | None = None,
    ) -> None:
        lesson_id = resolve_lesson(interaction, lesson).id if lesson else ANY
        await ask(interaction, lesson_id, difficulty or ANY)


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Quiz(bot))
