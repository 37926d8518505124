"""/class-quiz start|stop: a teacher runs a timed quiz for the whole channel."""

from __future__ import annotations

import asyncio
import random

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.classquiz import ChannelBusy, ClassQuiz, drive
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
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.rng = random.Random()

    @app_commands.command(name="start", description="Start a class-wide quiz in this channel")
    @app_commands.describe(
        lesson="Only questions of this lesson",
        questions="How many questions (1-20)",
        seconds="Seconds per question (10-120)",
    )
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    @app_commands.guild_only()
    @teachers_only()
    async def start(
        self,
        interaction: discord.Interaction,
        lesson: str | None = None,
        questions: app_commands.Range[int, 1, 20] = 5,
        seconds: app_commands.Range[int, 10, 120] = 20,
    ) -> None:
        bot = tutor_bot(interaction)
        lesson_id = resolve_lesson(interaction, lesson).id if lesson else None
        pool = bot.tutor.quiz.pool(lesson_id)
        if not pool or interaction.channel is None or interaction.guild_id is None:
            raise UserFacingError("There are no questions for that choice.")
        picked = self.rng.sample(pool, min(questions, len(pool)))
        quiz = ClassQuiz(
            interaction.guild_id,
            interaction.channel.id,
            interaction.user.id,
            tuple(picked),
            seconds,
        )
        try:
            bot.class_quizzes.start(quiz)
        except ChannelBusy:
            raise UserFacingError(
                "A class quiz is already running in this channel; /class-quiz stop ends it."
            ) from None
        await interaction.response.send_message(
            f"📣 **Class quiz!** {len(picked)} questions, {seconds} s each. "
            "Click a letter to answer: your first click counts, faster is worth more."
        )
        presenter = ChannelPresenter(interaction.channel)  # type: ignore[arg-type]
        task = bot.background.spawn(
            self._run(quiz, presenter), name=f"class-quiz-{quiz.channel_id}"
        )
        self.tasks[quiz.channel_id] = task

    async def _run(self, quiz: ClassQuiz, presenter: ChannelPresenter) -> None:
        bot = self.bot
        try:
            await drive(quiz, presenter, bot.tutor.ctx, bot.sleep)  # type: ignore[attr-defined]
        finally:
            bot.class_quizzes.finish(quiz.channel_id)  # type: ignore[attr-defined]
            self.tasks.pop(quiz.channel_id, None)

    @app_commands.command(name="stop", description="Stop the class quiz in this channel")
    @app_commands.guild_only()
    @teachers_only()
    async def stop(self, interaction: discord.Interaction) -> None:
        task = self.tasks.get(interaction.channel_id or 0)
        if task is None:
            raise UserFacingError("No class quiz is running in this channel.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await interaction.followup.send(
            "Stopped; the results are posted and saved.", ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ClassQuizCog(bot))
