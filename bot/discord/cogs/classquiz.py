"""/class-quiz start|stop: a teacher runs a timed quiz for the whole channel."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.class_quizzes import (
    DEFAULT_QUESTIONS,
    DEFAULT_SECONDS,
    MAX_QUESTIONS,
    MAX_SECONDS,
    MIN_QUESTIONS,
    MIN_SECONDS,
    ClassQuizRefused,
)
from bot.discord.cogs.lessons import resolve_lesson
from bot.discord.ui.autocomplete import lesson_autocomplete
from bot.discord.ui.classquiz import ChannelPresenter
from bot.discord.ui.context import tutor_bot
from bot.discord.ui.permissions import teachers_only
from bot.discord.ui.replies import UserFacingError


class ClassQuizCog(commands.GroupCog, group_name="class-quiz"):
    """Everyone answers with buttons against a timer; speed and streaks score."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="start", description="Start a class-wide quiz in this channel")
    @app_commands.describe(
        lesson="Only questions of this lesson",
        questions=f"How many questions ({MIN_QUESTIONS}-{MAX_QUESTIONS})",
        seconds=f"Seconds per question ({MIN_SECONDS}-{MAX_SECONDS})",
    )
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    @app_commands.guild_only()
    @teachers_only()
    async def start(
        self,
        interaction: discord.Interaction,
        lesson: str | None = None,
        questions: app_commands.Range[int, MIN_QUESTIONS, MAX_QUESTIONS] = DEFAULT_QUESTIONS,
        seconds: app_commands.Range[int, MIN_SECONDS, MAX_SECONDS] = DEFAULT_SECONDS,
    ) -> None:
        lesson_id = resolve_lesson(interaction, lesson).id if lesson else None
        if interaction.channel is None or interaction.guild_id is None:
            raise UserFacingError("Class quizzes run in a server's text channel.")
        try:
            tutor_bot(interaction).tutor.class_quizzes.start(
                interaction.guild_id,
                interaction.channel.id,
                interaction.user.id,
                ChannelPresenter(interaction),
                lesson_id,
                questions,
                seconds,
            )
        except ClassQuizRefused as exc:
            raise UserFacingError(str(exc)) from None

    @app_commands.command(name="stop", description="Stop the class quiz in this channel")
    @app_commands.guild_only()
    @teachers_only()
    async def stop(self, interaction: discord.Interaction) -> None:
        quizzes = tutor_bot(interaction).tutor.class_quizzes
        if quizzes.get(interaction.channel_id or 0) is None:
            raise UserFacingError("No class quiz is running in this channel.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        await quizzes.stop(interaction.channel_id or 0)
        await interaction.followup.send(
            "Stopped; the results are posted and saved.", ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ClassQuizCog(bot))
