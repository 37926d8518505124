"""Who counts as a teacher: the guild's teacher role, or Manage Server."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.discord.ui.context import tutor_bot

DEFAULT_TEACHER_ROLE = "teacher"


async def is_teacher(interaction: discord.Interaction) -> bool:
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild:
        return True
    settings = await tutor_bot(interaction).tutor.guilds.settings(interaction.guild_id)
    if settings.teacher_role_id is not None:
        return any(role.id == settings.teacher_role_id for role in member.roles)
    # Until a teacher role is chosen (/tutor-admin teacher-role), a role named "Teacher".
    return any(role.name.lower() == DEFAULT_TEACHER_ROLE for role in member.roles)


def teachers_only() -> object:
    """An app-command check with a message students understand."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if await is_teacher(interaction):
            return True
        raise app_commands.CheckFailure(
            "Only teachers can do that (the server's teacher role or Manage Server)."
        )

    return app_commands.check(predicate)
