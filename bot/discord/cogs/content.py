"""/tutor-content upload|list|remove|export|template: a server's own questions, cards and
lessons (teachers: the teacher role or Manage Server)."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.teacher_content import CSV_TEMPLATE, TSV_TEMPLATE
from bot.curriculum import ContentError
from bot.curriculum import display_limits as limits
from bot.curriculum.uploads import MAX_UPLOAD_BYTES
from bot.discord.ui.autocomplete import lesson_autocomplete
from bot.discord.ui.context import tutor_bot
from bot.discord.ui.embeds import COLOUR, clip
from bot.discord.ui.permissions import teachers_only
from bot.discord.ui.replies import UserFacingError
from bot.discord.ui.run_output import neutralise
from bot.render.teacher_content import (
    problem_lines,
    refused_line,
    removed_line,
    upload_lines,
    uploaded_line,
)


def _file(name: str, text: str) -> discord.File:
    return discord.File(io.BytesIO(text.encode()), filename=name)


@app_commands.guild_only()
class TutorContent(commands.GroupCog, group_name="tutor-content"):
    """Teachers add their own lessons, questions and flashcards for their server."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(
        name="upload", description="Add questions (.csv), cards (.tsv/.txt) or a lesson (.yaml)"
    )
    @app_commands.describe(
        file="A lesson .yaml, a questions .csv or an Anki .txt/.tsv (256 KiB at most)",
        lesson="The lesson rows without one join (and where cards go)",
        dry_run="Only check it; save nothing",
    )
    @app_commands.autocomplete(lesson=lesson_autocomplete)
    @teachers_only()
    async def upload(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment,
        lesson: str | None = None,
        dry_run: bool = False,
    ) -> None:
        if file.size > MAX_UPLOAD_BYTES:
            raise UserFacingError(f"{file.filename} is {file.size:,} bytes; the limit is 256 KiB.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            data = await file.read()
        except discord.HTTPException:
            raise UserFacingError("I could not download that file; try again.") from None
        content = tutor_bot(interaction).tutor.content
        try:
            done = await content.upload(
                interaction.guild_id or 0, interaction.user.id, file.filename, data, lesson, dry_run
            )
        except ContentError as exc:
            embed = discord.Embed(
                title=refused_line(exc.problems),
                description=clip(neutralise("\n".join(problem_lines(exc.problems))),
                                 limits.EMBED_DESCRIPTION),
                colour=discord.Colour.red(),
            )  # fmt: skip
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        await interaction.followup.send(uploaded_line(done), ephemeral=True)

    @app_commands.command(name="list", description="This server's uploads, by version")
    @teachers_only()
    async def list_(self, interaction: discord.Interaction) -> None:
        rows = await tutor_bot(interaction).tutor.content.uploads(interaction.guild_id or 0)
        embed = discord.Embed(
            title="This server's own content",
            description=clip(neutralise("\n".join(upload_lines(rows))), limits.EMBED_DESCRIPTION),
            colour=COLOUR,
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="remove", description="Remove an upload (its version) or an item")
    @app_commands.describe(target="A version number from /tutor-content list, or an item id")
    @teachers_only()
    async def remove(self, interaction: discord.Interaction, target: str) -> None:
        removed = await tutor_bot(interaction).tutor.content.remove(
            interaction.guild_id or 0, target
        )
        await interaction.response.send_message(removed_line(removed, target), ephemeral=True)

    @app_commands.command(name="export", description="This server's own content as one YAML file")
    @teachers_only()
    async def export(self, interaction: discord.Interaction) -> None:
        text = await tutor_bot(interaction).tutor.content.export(interaction.guild_id or 0)
        if text is None:
            raise UserFacingError("This server has no content of its own yet.")
        await interaction.response.send_message(
            "Everything this server added; upload it again as it is to restore it.",
            file=_file("server-content.yaml", text),
            ephemeral=True,
        )

    @app_commands.command(name="template", description="Example files: questions CSV, cards TSV")
    @teachers_only()
    async def template(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "Fill these in (a spreadsheet saves the CSV; Anki exports the cards as plain "
            "text), then /tutor-content upload.",
            files=[_file("questions.csv", CSV_TEMPLATE), _file("flashcards.tsv", TSV_TEMPLATE)],
            ephemeral=True,
        )


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(TutorContent(bot))
