"""Daily prompts: tells people about prompts that failed to reach them.

Settings live with the features they belong to (``/tutor-admin daily``,
``/flashcards daily``); delivery is the core's task (started by the client); this cog
owns no commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.ui.daily import notice_text
from bot.discord.ui.replies import send

if TYPE_CHECKING:
    from bot.discord.client import TutorBot

ADMIN_GROUP = "tutor-admin"


class DailyPromptsCog(commands.Cog):
    def __init__(self, bot: TutorBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        """After a command, a one-time private note about a prompt that failed: a student
        whose DMs are closed; a teacher (on an admin command) whose channel is lost."""
        if interaction.guild_id is None:
            return
        teacher = command.qualified_name.split()[0] == ADMIN_GROUP
        daily = self.bot.tutor.daily
        notices = await daily.notices(interaction.guild_id, interaction.user.id, teacher)
        if notices:
            await send(interaction, content=notice_text(notices), ephemeral=True)
            await daily.noticed(interaction.guild_id, interaction.user.id, notices)


async def setup(bot: TutorBot) -> None:
    await bot.add_cog(DailyPromptsCog(bot))
