"""Running code from Discord: the /run modal and the lesson's "Run it" button."""

from __future__ import annotations

import io
import logging

import discord

from bot.discord.ui.actions import action
from bot.discord.ui.context import tutor_bot
from bot.discord.ui.lesson import find
from bot.discord.ui.replies import UserFacingError, report_error
from bot.discord.ui.run_output import BUSY, DOWN, render_run
from bot.sandbox.client import SandboxBusy, SandboxError, SandboxRejected

log = logging.getLogger("bot.discord")

CODE_MAX = 4000  # Discord's limit for a text input
STDIN_MAX = 1000


async def run_and_reply(interaction: discord.Interaction, code: str, stdin: str = "") -> None:
    """Defer (running takes a moment), run in the sandbox, reply with the result."""
    bot = tutor_bot(interaction)
    if bot.sandbox is None:
        raise UserFacingError(DOWN)
    await interaction.response.defer(thinking=True)
    try:
        result = await bot.sandbox.run(code, stdin=stdin)
    except SandboxBusy:
        raise UserFacingError(BUSY) from None
    except SandboxRejected as exc:
        raise UserFacingError(f"The code runner refused this: {exc}") from None
    except SandboxError as exc:
        log.warning("sandbox unavailable: %s", exc)
        raise UserFacingError(DOWN) from None
    rendered = render_run(result)
    files = []
    if rendered.attachment is not None:
        data = io.BytesIO(rendered.attachment.encode())
        files.append(discord.File(data, filename="output.txt"))
    await interaction.followup.send(
        rendered.content, files=files, allowed_mentions=discord.AllowedMentions.none()
    )


class RunModal(discord.ui.Modal, title="Run Python code"):
    code: discord.ui.TextInput = discord.ui.TextInput(
        label="Code",
        style=discord.TextStyle.paragraph,
        placeholder="import asyncio\n\nasync def main():\n    print('hi')\n\nasyncio.run(main())",
        max_length=CODE_MAX,
    )
    stdin: discord.ui.TextInput = discord.ui.TextInput(
        label="Input for input() (optional)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=STDIN_MAX,
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await run_and_reply(interaction, self.code.value, self.stdin.value or "")

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


@action("lesson-run")
async def run_example(interaction: discord.Interaction, args: list[str]) -> None:
    (lesson_id,) = args
    lesson = find(interaction, lesson_id)
    await run_and_reply(interaction, lesson.examples[0].code)
