"""/progress and /leaderboard."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.context import Learner
from bot.discord.ui.context import DM_GUILD, tutor_bot
from bot.discord.ui.embeds import COLOUR, leaderboard_embed
from bot.discord.ui.permissions import is_teacher
from bot.discord.ui.replies import UserFacingError
from bot.render.chart import render
from bot.render.words import plural

OWN_PROGRESS_ONLY = (
    "You can see your own progress: /progress without a member. Only teachers can see "
    "another student's."
)
PERIOD_CHOICES = [
    app_commands.Choice(name="This week", value="week"),
    app_commands.Choice(name="All time", value="all-time"),
]


class ProgressCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="progress", description="Points, streak, accuracy and due cards")
    @app_commands.describe(member="Teachers: a student's progress (default: yours)")
    async def progress(
        self, interaction: discord.Interaction, member: discord.Member | None = None
    ) -> None:
        if member is not None and member.id != interaction.user.id:
            if not await is_teacher(interaction):
                raise UserFacingError(OWN_PROGRESS_ONLY)
        await interaction.response.defer(ephemeral=True, thinking=True)
        person = member or interaction.user
        who = Learner(interaction.guild_id or DM_GUILD, person.id, person.display_name)
        tutor = tutor_bot(interaction).tutor
        report = await tutor.progress.report(who)
        lessons = await tutor.progress.by_lesson(who)
        embed = discord.Embed(title=f"Progress of {person.display_name}", colour=COLOUR)
        rank = f" (#{report.rank.rank})" if report.rank else ""
        embed.add_field(name="Points", value=f"{report.points}{rank}")
        embed.add_field(
            name="Streak",
            value=f"🔥 {plural(report.streak_current, 'day')} (best {report.streak_best})",
        )
        embed.add_field(name="Streak freezes", value=f"🧊 {report.freezes}")
        embed.add_field(name="Quiz", value=f"{report.correct}/{report.answered} right")
        embed.add_field(name="Cards due now", value=str(report.due_cards))
        if report.exercises_total:
            solved = f"🧩 {report.exercises_solved}/{report.exercises_total}"
            embed.add_field(name="Exercises solved", value=solved)
        picture = await asyncio.to_thread(render, f"{person.display_name}: progress", lessons)
        embed.set_image(url="attachment://progress.png")
        await interaction.followup.send(
            embed=embed,
            file=discord.File(io.BytesIO(picture), filename="progress.png"),
            ephemeral=True,
        )

    @app_commands.command(name="leaderboard", description="Top 10 and your own rank")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def leaderboard(self, interaction: discord.Interaction, period: str = "week") -> None:
        who = Learner(interaction.guild_id or DM_GUILD, interaction.user.id)
        board = await tutor_bot(interaction).tutor.progress.leaderboard(who, period)
        await interaction.response.send_message(
            embed=leaderboard_embed(board, interaction.user.id), ephemeral=True
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ProgressCog(bot))
