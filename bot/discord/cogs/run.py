"""/run: type code in a modal, get its output from the sandbox worker."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.ui.run import RunModal


class Run(commands.Cog):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="run", description="Run a short Python snippet in a sandbox")
    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(RunModal())


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(Run(bot))
