"""Answering interactions safely: respond-or-follow-up, friendly errors with a log line."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import discord

from bot.core.context import AlreadyCounted

log = logging.getLogger("bot.discord")

SHUTTING_DOWN = "The tutor is restarting; try again in a few seconds."
SORRY = "Sorry, something went wrong on my side. It has been logged; please try again."


class EmbedMessage(TypedDict):
    """The keyword arguments of a message (sent or edited) made of an embed and its buttons."""

    embed: discord.Embed
    view: discord.ui.View


class UserFacingError(Exception):
    """An expected problem whose message is safe and useful to show as is."""


def context_of(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
    return (
        f"guild={interaction.guild_id} user={interaction.user.id}"
        f" command={command or custom_id or interaction.type.name}"
    )


async def send(interaction: discord.Interaction, **kwargs: Any) -> None:
    """Reply whether or not the interaction was already acknowledged."""
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """One private message for the user, one log line (with traceback) for us."""
    if isinstance(error, UserFacingError | AlreadyCounted):
        message = str(error)
    else:
        message = SORRY
        log.error("interaction failed: %s", context_of(interaction), exc_info=error)
    try:
        await send(interaction, content=message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error: %s", context_of(interaction))


@asynccontextmanager
async def guarded(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Wrap a button/modal callback: errors become a friendly private message."""
    try:
        yield
    except Exception as exc:
        await report_error(interaction, exc)
