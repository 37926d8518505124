"""Who counts as a teacher is the core's rule; this turns a Discord member into its terms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.core.guilds import Member
from bot.discord.ui.context import tutor_bot


async def is_teacher(interaction: discord.Interaction) -> bool:
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    seen_as = Member(
        manage_server=member.guild_permissions.manage_guild,
        role_ids=frozenset(role.id for role in member.roles),
        role_names=frozenset(role.name for role in member.roles),
    )
    return await tutor_bot(interaction).tutor.guilds.is_teacher(interaction.guild_id, seen_as)


def teachers_only() -> Callable[[Any], Any]:
    """An app-command check with a message students understand."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if await is_teacher(interaction):
            return True
        raise app_commands.CheckFailure(
            "Only teachers can do that (the server's teacher role or Manage Server)."
        )

    return app_commands.check(predicate)
