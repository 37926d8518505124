"""The daily prompts' ``Sender`` on Discord: posts in channels, DMs to students.

It turns Discord's refusals into the core's ``DmClosed`` / ``ChannelUnavailable`` so
those are recorded (and the schedule paused), not retried. After a crash it looks for a
prompt among the bot's recent messages there: an embed with the same title and footer
(they name the day, or the week) is that prompt.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.daily import (
    ChannelPost,
    ChannelPrompt,
    ChannelUnavailable,
    DmClosed,
    DmPrompt,
)
from bot.discord.ui.daily import channel_message, dm_message, leaderboard_message

CANNOT_DM = 50007  # Discord's code when a user does not accept DMs from the bot
RECENT = 50  # messages looked through for a prompt a crash may have sent already


def _identity(embed: discord.Embed) -> tuple[str | None, str | None]:
    return embed.title, embed.footer.text


class DiscordSender:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send_channel(self, channel_id: int, post: ChannelPost) -> None:
        try:
            await self._client.get_partial_messageable(channel_id).send(**_channel_post(post))
        except discord.NotFound as exc:
            raise ChannelUnavailable("deleted") from exc
        except discord.Forbidden as exc:
            raise ChannelUnavailable("forbidden") from exc

    async def send_dm(self, user_id: int, prompt: DmPrompt) -> None:
        guild = self._client.get_guild(prompt.guild_id)
        message = dm_message(prompt, guild.name if guild else "your server")
        try:
            channel = await self._client.create_dm(discord.Object(user_id))
            await channel.send(**message)
        except discord.Forbidden as exc:
            if exc.code == CANNOT_DM:
                raise DmClosed from exc
            raise

    async def channel_has(self, channel_id: int, post: ChannelPost) -> bool:
        channel = self._client.get_partial_messageable(channel_id)
        return await self._among_recent(channel, _channel_post(post))

    async def dm_has(self, user_id: int, prompt: DmPrompt) -> bool:
        channel = await self._client.create_dm(discord.Object(user_id))
        return await self._among_recent(channel, dm_message(prompt, ""))

    async def _among_recent(
        self, channel: discord.abc.Messageable, message: dict[str, Any]
    ) -> bool:
        wanted = _identity(message["embed"])
        me = self._client.user
        async for sent in channel.history(limit=RECENT):
            if me is not None and sent.author.id == me.id:
                if any(_identity(embed) == wanted for embed in sent.embeds):
                    return True
        return False


def _channel_post(post: ChannelPost) -> dict[str, Any]:
    return channel_message(post) if isinstance(post, ChannelPrompt) else leaderboard_message(post)
