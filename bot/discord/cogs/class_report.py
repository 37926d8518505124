"""/class-report (teachers, private): the class at a glance, a chart and two CSV files."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.class_report import ClassReport
from bot.curriculum import display_limits as limits
from bot.discord.cogs.lessons import resolve_lesson
from bot.discord.ui.autocomplete import lesson_autocomplete
from bot.discord.ui.context import tutor_bot
from bot.discord.ui.embeds import COLOUR, clip
from bot.discord.ui.permissions import teachers_only
from bot.render.class_report import (
    SEEN_NOTE,
    clip_lines,
    lesson_line,
    period_words,
    question_line,
    questions_csv,
    render_chart,
    student_line,
    students_csv,
    summary,
)

PERIOD_CHOICES = [
    app_commands.Choice(name="Last 7 days", value="week"),
    app_commands.Choice(name="Last 30 days", value="month"),
    app_commands.Choice(name="All time", value="all-time"),
]
CHART = "class-report.png"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


def report_files(report: ClassReport) -> list[Attachment]:
    """The two CSVs (they hold everything, so they come first when space is short) and
    the chart (CPU work: run in a thread)."""
    return [
        Attachment("students.csv", students_csv(report)),
        Attachment("questions.csv", questions_csv(report)),
        Attachment(CHART, render_chart(report)),
    ]


def within_limit(files: list[Attachment], limit: int) -> tuple[list[Attachment], list[str]]:
    """The files that fit in one message of at most ``limit`` bytes (Discord's upload limit
    for this interaction), in order, and the names of those left out."""
    kept: list[Attachment] = []
    left_out: list[str] = []
    total = 0
    for file in files:
        if total + len(file.data) <= limit:
            kept.append(file)
            total += len(file.data)
        else:
            left_out.append(file.filename)
    return kept, left_out


def _lines(lines: list[str]) -> str:
    escaped = [discord.utils.escape_markdown(line) for line in lines]
    return clip_lines(escaped, limits.EMBED_FIELD_VALUE)


def report_embed(report: ClassReport, left_out: list[str]) -> discord.Embed:
    """Within Discord's limits: each list is clipped to a field with "… and N more"; the
    CSVs hold everything."""
    embed = discord.Embed(
        title=clip(f"Class report: {period_words(report)}", limits.EMBED_TITLE),
        description=f"{summary(report)}\n*{SEEN_NOTE}*",
        colour=COLOUR,
    )
    students = [student_line(s, report.today) for s in report.behind_first]
    embed.add_field(
        name="Students, least active first",
        value=_lines(students) or "No students yet: nobody has used the tutor here.",
        inline=False,
    )
    lessons = [lesson_line(row) for row in report.weakest_lessons]
    embed.add_field(
        name="Weakest lessons",
        value=_lines(lessons) or "No quiz answers in this period.",
        inline=False,
    )
    questions = [question_line(row) for row in report.to_review]
    embed.add_field(
        name="Questions to review",
        value=_lines(questions) or "No quiz answers in this period.",
        inline=False,
    )
    footer = "Everything, one row each: students.csv and questions.csv."
    if left_out:
        footer += f" Too large to attach here: {', '.join(left_out)}; try one lesson."
    embed.set_footer(text=footer)
    return embed


class ClassReportCog(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="class-report", description="Teachers: how the class is doing")
    @app_commands.describe(
        lesson="Only this lesson's cards and questions", period="Default: the last 7 days"
    )
    @app_commands.choices(period=PERIOD_CHOICES)
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    @app_commands.guild_only()
    @teachers_only()
    async def class_report(
        self, interaction: discord.Interaction, lesson: str | None = None, period: str = "week"
    ) -> None:
        lesson_id = resolve_lesson(interaction, lesson).id if lesson else None
        await interaction.response.defer(ephemeral=True, thinking=True)
        reports = tutor_bot(interaction).tutor.class_report
        report = await reports.report(interaction.guild_id or 0, period, lesson_id)
        files = await asyncio.to_thread(report_files, report)
        kept, left_out = within_limit(files, interaction.filesize_limit)
        embed = report_embed(report, left_out)
        if any(file.filename == CHART for file in kept):
            embed.set_image(url=f"attachment://{CHART}")
        await interaction.followup.send(
            embed=embed,
            files=[discord.File(io.BytesIO(f.data), filename=f.filename) for f in kept],
            ephemeral=True,
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(ClassReportCog(bot))
