"""Coding exercises in Discord: the exercise card (statement, hints, Submit, Solution), the
code modal, a grade, and a class assignment's posts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import discord
from discord.utils import format_dt

from bot.core.class_exercises import AssignmentSummary
from bot.core.code_runs import CodeRunFailed
from bot.core.exercises import ExerciseStatus, Graded, SolutionLocked, UnknownExercise
from bot.curriculum import display_limits as limits
from bot.curriculum.models import Exercise
from bot.discord.ui.actions import action, button, view_of
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import COLOUR, clip, code_block
from bot.discord.ui.replies import UserFacingError, report_error
from bot.discord.ui.run_output import neutralise
from bot.render.exercises import check_lines, student_output, summary_lines, timing, verdict_line

CODE_MAX = 4000  # Discord's limit for a text input
FILE_MAX = 64 * 1024
SHOWN_OUTPUT = 900


def exercise_embed(status: ExerciseStatus, hints: int = 0) -> discord.Embed:
    exercise = status.exercise
    embed = discord.Embed(
        title=clip(f"Exercise · {exercise.title}", limits.EMBED_TITLE),
        description=exercise.statement,
        colour=COLOUR,
    )
    for number, hint in enumerate(exercise.hints[:hints], 1):
        embed.add_field(name=f"💡 Hint {number}", value=hint, inline=False)
    state = "✅ solved" if status.solved else f"{status.attempts} attempt(s)"
    embed.set_footer(text=f"{exercise.id} · {exercise.lesson} · {exercise.difficulty} · {state}")
    return embed


def exercise_view(status: ExerciseStatus, hints: int = 0) -> discord.ui.View:
    exercise = status.exercise
    row = [button("Submit code", "ex-submit", exercise.id, style=discord.ButtonStyle.primary)]
    if hints < len(exercise.hints):
        row.append(button(f"Hint {hints + 1}", "ex-hint", exercise.id, hints + 1, emoji="💡"))
    row.append(
        button("Solution", "ex-solution", exercise.id, disabled=not status.solution_unlocked)
    )
    if status.solved:
        row.append(button("Next exercise", "ex-next", exercise.lesson))
    return view_of(row)


def exercise_message(status: ExerciseStatus, hints: int = 0) -> dict[str, Any]:
    return {"embed": exercise_embed(status, hints), "view": exercise_view(status, hints)}


def grade_message(graded: Graded) -> dict[str, Any]:
    result = graded.result
    embed = discord.Embed(
        title=clip(f"{graded.status.exercise.title}: {verdict_line(graded)}", limits.EMBED_TITLE),
        description=clip("\n".join(neutralise(line) for line in check_lines(result)) or "—",
                         limits.EMBED_DESCRIPTION),
        colour=discord.Colour.green() if result.status == "pass" else discord.Colour.red(),
    )  # fmt: skip
    if output := student_output(result):
        embed.add_field(
            name="Your code printed", value=code_block(output, SHOWN_OUTPUT, "text"), inline=False
        )
    embed.set_footer(text=timing(result))
    return {"embed": embed, "view": exercise_view(graded.status)}


async def grade_and_reply(interaction: discord.Interaction, exercise_id: str, code: str) -> None:
    """Defer (grading takes a moment), grade, answer privately with the checks."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    exercises = tutor_bot(interaction).tutor.exercises
    try:
        graded = await exercises.submit(learner_of(interaction), exercise_id, code)
    except (CodeRunFailed, UnknownExercise) as exc:
        raise UserFacingError(str(exc)) from None
    await interaction.followup.send(**grade_message(graded), ephemeral=True)


class SubmitModal(discord.ui.Modal, title="Submit your code"):
    """Prefilled with the last attempt (or the starter); forgotten after ``OPEN_S`` if
    left open."""

    OPEN_S = 15 * 60.0

    def __init__(self, exercise_id: str, draft: str) -> None:
        super().__init__(timeout=self.OPEN_S)
        self.exercise_id = exercise_id
        self.code: discord.ui.TextInput[SubmitModal] = discord.ui.TextInput(
            label="Code",
            style=discord.TextStyle.paragraph,
            default=draft if len(draft) <= CODE_MAX else None,
            max_length=CODE_MAX,
        )
        self.add_item(self.code)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await grade_and_reply(interaction, self.exercise_id, self.code.value)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await report_error(interaction, error)


async def _status(
    interaction: discord.Interaction, read: Callable[[], Awaitable[ExerciseStatus]]
) -> ExerciseStatus:
    try:
        return await read()
    except UnknownExercise as exc:
        raise UserFacingError(str(exc)) from None


async def show_exercise(interaction: discord.Interaction, exercise_id: str) -> None:
    """A new private exercise card."""
    exercises = tutor_bot(interaction).tutor.exercises
    status = await _status(
        interaction, lambda: exercises.show(learner_of(interaction), exercise_id)
    )
    await interaction.response.send_message(**exercise_message(status), ephemeral=True)


async def show_next(interaction: discord.Interaction, lesson_id: str | None) -> None:
    exercises = tutor_bot(interaction).tutor.exercises
    status = await exercises.next(learner_of(interaction), lesson_id)
    if status is None:
        where = "this lesson's" if lesson_id else "every"
        raise UserFacingError(f"🎉 You have solved {where} exercise. /exercise list shows them.")
    await interaction.response.send_message(**exercise_message(status), ephemeral=True)


@action("ex-open")
async def on_open(interaction: discord.Interaction, args: list[str]) -> None:
    (exercise_id,) = args
    await show_exercise(interaction, exercise_id)


@action("ex-next")
async def on_next(interaction: discord.Interaction, args: list[str]) -> None:
    (lesson_id,) = args
    await show_next(interaction, lesson_id or None)


@action("ex-hint", moves_its_message=True)
async def on_hint(interaction: discord.Interaction, args: list[str]) -> None:
    exercise_id, hints = args
    exercises = tutor_bot(interaction).tutor.exercises
    status = await _status(
        interaction, lambda: exercises.status(learner_of(interaction), exercise_id)
    )
    await interaction.response.edit_message(**exercise_message(status, int(hints)))


@action("ex-submit")
async def on_submit(interaction: discord.Interaction, args: list[str]) -> None:
    (exercise_id,) = args
    exercises = tutor_bot(interaction).tutor.exercises
    status = await _status(
        interaction, lambda: exercises.show(learner_of(interaction), exercise_id)
    )
    await interaction.response.send_modal(SubmitModal(exercise_id, status.draft))


@action("ex-solution")
async def on_solution(interaction: discord.Interaction, args: list[str]) -> None:
    (exercise_id,) = args
    exercises = tutor_bot(interaction).tutor.exercises
    try:
        solution = await exercises.solution(learner_of(interaction), exercise_id)
    except (SolutionLocked, UnknownExercise) as exc:
        raise UserFacingError(str(exc)) from None
    embed = discord.Embed(
        title="A solution (yours may differ and be just as right)",
        description=code_block(solution, limits.EMBED_DESCRIPTION),
        colour=COLOUR,
    )
    await interaction.response.send_message(embed=embed, ephemeral=True)


def assignment_embed(exercise: Exercise, ends_at: datetime) -> discord.Embed:
    embed = discord.Embed(
        title=clip(f"📝 Class exercise · {exercise.title}", limits.EMBED_TITLE),
        description=exercise.statement,
        colour=COLOUR,
    )
    embed.add_field(name="Until", value=f"{format_dt(ends_at, 't')} ({format_dt(ends_at, 'R')})")
    embed.set_footer(text="Open it to submit privately; the summary is posted at the end.")
    return embed


def summary_embed(summary: AssignmentSummary) -> discord.Embed:
    lines = summary_lines(summary)
    embed = discord.Embed(title=lines[0], description="\n".join(lines[1:]), colour=COLOUR)
    embed.set_footer(text="Everyone's attempts are saved to their /progress")
    return embed


class ChannelAssignment:
    """A class assignment's presenter: the announcement and the summary in the channel."""

    def __init__(self, client: discord.Client, channel_id: int) -> None:
        self.channel = client.get_partial_messageable(channel_id)

    async def announce(self, exercise: Exercise, ends_at: datetime) -> None:
        view = view_of([button("Open the exercise", "ex-open", exercise.id,
                               style=discord.ButtonStyle.primary)])  # fmt: skip
        await self.channel.send(embed=assignment_embed(exercise, ends_at), view=view)

    async def finished(self, summary: AssignmentSummary) -> None:
        await self.channel.send(embed=summary_embed(summary))
