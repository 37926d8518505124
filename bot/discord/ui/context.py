"""Who is asking and which bot is answering, from an interaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord

from bot.core.context import Learner

if TYPE_CHECKING:
    from bot.discord.client import TutorBot

DM_GUILD = 0  # progress made outside any server (e.g. from a DM prompt without a guild)


def tutor_bot(interaction: discord.Interaction) -> TutorBot:
    return cast("TutorBot", interaction.client)


def learner_of(interaction: discord.Interaction, guild_id: int | None = None) -> Learner:
    guild = guild_id if guild_id is not None else interaction.guild_id or DM_GUILD
    return Learner(guild, interaction.user.id, interaction.user.display_name)
