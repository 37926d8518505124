"""/flashcards review, /flashcards stats and /flashcards daily (the student's reminder)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.guilds import InvalidSetting
from bot.discord.cogs.lessons import resolve_lesson
from bot.discord.ui.autocomplete import lesson_autocomplete, timezone_autocomplete
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.daily import schedule_text
from bot.discord.ui.embeds import COLOUR
from bot.discord.ui.flashcards import start_review
from bot.discord.ui.replies import UserFacingError


class Flashcards(commands.GroupCog, group_name="flashcards"):
    """Spaced repetition: the cards you are about to forget, first."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="review", description="Review your due flashcards (private)")
    @app_commands.describe(lesson="Only cards of this lesson")
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    async def review(self, interaction: discord.Interaction, lesson: str | None = None) -> None:
        lesson_id = resolve_lesson(interaction, lesson).id if lesson else ""
        await start_review(interaction, lesson_id)

    @app_commands.command(name="stats", description="Your flashcard numbers")
    async def stats(self, interaction: discord.Interaction) -> None:
        stats = await tutor_bot(interaction).tutor.flashcards.stats(learner_of(interaction))
        embed = discord.Embed(title="Your flashcards", colour=COLOUR)
        embed.add_field(name="Studied", value=str(stats.seen))
        embed.add_field(name="Not seen yet", value=str(stats.unseen))
        embed.add_field(name="Due now", value=str(stats.due_now))
        embed.add_field(name="New left today", value=str(stats.new_left_today))
        embed.add_field(name="Reviewed today", value=str(stats.reviewed_today))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    daily = app_commands.Group(name="daily", description="Your daily flashcard reminder")

    @daily.command(name="dm", description="A private daily reminder at your own time")
    @app_commands.describe(
        time="Your local time, HH:MM (24-hour clock)", timezone="Default: the server's timezone"
    )
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    async def daily_dm(
        self, interaction: discord.Interaction, time: str, timezone: str | None = None
    ) -> None:
        if interaction.guild_id is None:
            raise UserFacingError("Run this in your class's server: reminders are per server.")
        try:
            scheduled = await tutor_bot(interaction).tutor.daily.set_dm(
                learner_of(interaction), time, timezone
            )
        except InvalidSetting as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.response.send_message(
            schedule_text("Your daily DM", scheduled), ephemeral=True
        )

    @daily.command(name="off", description="No daily DM, and leave me out of streak shout-outs")
    async def daily_off(self, interaction: discord.Interaction) -> None:
        await tutor_bot(interaction).tutor.daily.opt_out(learner_of(interaction))
        await interaction.response.send_message(
            "Daily reminders are off for you in this server.", ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Flashcards(bot))
