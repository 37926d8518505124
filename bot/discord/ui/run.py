"""Running code from Discord: the /run modal and the lesson's "Run it" button."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import discord

from bot.core.code_runs import CodeRunFailed, RunResult, UnknownExample
from bot.discord.ui.actions import action
from bot.discord.ui.context import tutor_bot
from bot.discord.ui.replies import UserFacingError, report_error
from bot.discord.ui.run_output import render_run

CODE_MAX = 4000  # Discord's limit for a text input
STDIN_MAX = 1000


async def reply_with_run(
    interaction: discord.Interaction, run: Callable[[], Awaitable[RunResult]], stdin: str = ""
) -> None:
    """Defer (running takes a moment), await the run, reply with its outcome."""
    await interaction.response.defer(thinking=True)
    try:
        result = await run()
    except (CodeRunFailed, UnknownExample) as exc:
        raise UserFacingError(str(exc)) from None
    rendered = render_run(result, stdin)
    files = []
    if rendered.attachment is not None:
        data = io.BytesIO(rendered.attachment.encode())
        files.append(discord.File(data, filename="output.txt"))
    await interaction.followup.send(
        rendered.content, files=files, allowed_mentions=discord.AllowedMentions.none()
    )


class RunModal(discord.ui.Modal, title="Run Python code"):
    """discord.py keeps an open modal until it is submitted; one left open (the user
    closed it) is forgotten after ``OPEN_S`` rather than kept for good."""

    OPEN_S = 15 * 60.0

    def __init__(self) -> None:
        super().__init__(timeout=self.OPEN_S)

    code: discord.ui.TextInput[RunModal] = discord.ui.TextInput(
        label="Code",
        style=discord.TextStyle.paragraph,
        placeholder="import asyncio\n\nasync def main():\n    print('hi')\n\nasyncio.run(main())",
        max_length=CODE_MAX,
    )
    stdin: discord.ui.TextInput[RunModal] = discord.ui.TextInput(
        label="Input for input() (optional)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=STDIN_MAX,
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        code, stdin = self.code.value, self.stdin.value or ""
        runs = tutor_bot(interaction).tutor.code
        await reply_with_run(interaction, lambda: runs.run(code, stdin), stdin)

    # Modal.on_error drops BaseView.on_error's item argument; discord.py's own types
    # disagree there, so any override of it is reported against BaseView.
    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        await report_error(interaction, error)


@action("lesson-run")
async def run_example(interaction: discord.Interaction, args: list[str]) -> None:
    (lesson_id,) = args
    runs = tutor_bot(interaction).tutor.code
    await reply_with_run(interaction, lambda: runs.run_example(lesson_id))
