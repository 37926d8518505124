"""/exercise next|list|show|submit, and /class-exercise start|stop for teachers."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.class_exercises import (
    DEFAULT_MINUTES,
    MAX_MINUTES,
    MIN_MINUTES,
    ClassExerciseRefused,
)
from bot.core.exercises import UnknownExercise
from bot.curriculum import display_limits as limits
from bot.discord.cogs.lessons import resolve_lesson
from bot.discord.ui.autocomplete import exercise_autocomplete, lesson_autocomplete
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import COLOUR, clip
from bot.discord.ui.exercises import (
    FILE_MAX,
    ChannelAssignment,
    grade_and_reply,
    show_exercise,
    show_next,
    summary_embed,
)
from bot.discord.ui.permissions import teachers_only
from bot.discord.ui.replies import UserFacingError


class Exercises(commands.GroupCog, group_name="exercise"):
    """Write asyncio code; it is graded in the sandbox within a second."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="next", description="Your next unsolved exercise (private)")
    @app_commands.describe(lesson="Only this lesson's exercises")
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    async def next_(self, interaction: discord.Interaction, lesson: str | None = None) -> None:
        await show_next(interaction, resolve_lesson(interaction, lesson).id if lesson else None)

    @app_commands.command(name="show", description="Open one exercise (private)")
    @app_commands.autocomplete(exercise=exercise_autocomplete)
    async def show(self, interaction: discord.Interaction, exercise: str) -> None:
        await show_exercise(interaction, exercise)

    @app_commands.command(name="list", description="The exercises, with the ones you solved")
    @app_commands.describe(lesson="Only this lesson's exercises")
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    async def list_(self, interaction: discord.Interaction, lesson: str | None = None) -> None:
        lesson_id = resolve_lesson(interaction, lesson).id if lesson else None
        statuses = await tutor_bot(interaction).tutor.exercises.statuses(
            learner_of(interaction), lesson_id
        )
        if not statuses:
            raise UserFacingError("There are no exercises for that choice.")
        lines = [
            f"{'✅' if s.solved else '▫️'} `{s.exercise.id}` {s.exercise.title} "
            f"({s.exercise.difficulty}, {s.exercise.lesson})"
            for s in statuses
        ]
        solved = sum(s.solved for s in statuses)
        embed = discord.Embed(
            title=f"Exercises: {solved} of {len(statuses)} solved",
            description=clip("\n".join(lines), limits.EMBED_DESCRIPTION, "\n…"),
            colour=COLOUR,
        )
        embed.set_footer(text="Open one with /exercise show, or /exercise next")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="submit", description="Submit a .py file for an exercise")
    @app_commands.describe(
        file="Your solution, a .py file (64 KiB at most)",
        exercise="Which exercise (default: the one you opened last)",
    )
    @app_commands.autocomplete(exercise=exercise_autocomplete)
    async def submit(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        exercise: str | None = None,
    ) -> None:
        exercises = tutor_bot(interaction).tutor.exercises
        exercise_id = exercise or await exercises.last_shown(learner_of(interaction))
        if exercise_id is None:
            raise UserFacingError("Which exercise? Name it, or open one with /exercise next.")
        if not file.filename.endswith(".py"):
            raise UserFacingError("Attach a Python file (its name ends in .py).")
        if file.size > FILE_MAX:
            raise UserFacingError(f"That file is over {FILE_MAX // 1024} KiB; trim it.")
        try:
            code = (await file.read()).decode()
        except UnicodeDecodeError:
            raise UserFacingError("That file is not UTF-8 text.") from None
        except discord.HTTPException:
            raise UserFacingError("I could not download that file; try again.") from None
        await grade_and_reply(interaction, exercise_id, code)


class ClassExercises(commands.GroupCog, group_name="class-exercise"):
    """A teacher sets one exercise for the channel, for a few minutes."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="start", description="Set an exercise for this channel")
    @app_commands.describe(
        exercise="Which exercise", minutes=f"How long ({MIN_MINUTES}-{MAX_MINUTES})"
    )
    @app_commands.autocomplete(exercise=exercise_autocomplete)
    @app_commands.guild_only()
    @teachers_only()
    async def start(
        self,
        interaction: discord.Interaction,
        exercise: str,
        minutes: app_commands.Range[int, MIN_MINUTES, MAX_MINUTES] = DEFAULT_MINUTES,
    ) -> None:
        if interaction.channel_id is None or interaction.guild_id is None:
            raise UserFacingError("Class exercises run in a server's text channel.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        presenter = ChannelAssignment(interaction.client, interaction.channel_id)
        try:
            await tutor_bot(interaction).tutor.class_exercises.start(
                interaction.guild_id, interaction.channel_id, interaction.user.id,
                exercise, minutes, presenter,
            )  # fmt: skip
        except (ClassExerciseRefused, UnknownExercise) as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.followup.send("Set; the summary comes at the end.", ephemeral=True)

    @app_commands.command(name="stop", description="End this channel's exercise now")
    @app_commands.guild_only()
    @teachers_only()
    async def stop(self, interaction: discord.Interaction) -> None:
        assignments = tutor_bot(interaction).tutor.class_exercises
        summary = await assignments.stop(interaction.channel_id or 0)
        if summary is None:
            raise UserFacingError("No exercise is set in this channel.")
        await interaction.response.send_message(embed=summary_embed(summary))


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Exercises(bot))
    await bot.add_cog(ClassExercises(bot))
