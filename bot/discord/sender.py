"""The daily prompts' ``Sender`` on Discord: posts in channels, DMs to students.

It turns Discord's refusals into the core's ``DmClosed`` / ``ChannelUnavailable`` so
those are recorded (and the schedule paused), not retried.
"""

from __future__ import annotations

import discord

from bot.core.daily import ChannelPrompt, ChannelUnavailable, DmClosed, DmPrompt, WeeklyLeaderboard
from bot.discord.ui.daily import channel_message, dm_message, leaderboard_message

CANNOT_DM = 50007  # Discord's code when a user does not accept DMs from the bot


class DiscordSender:
    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send_channel(self, channel_id: int, post: ChannelPrompt | WeeklyLeaderboard) -> None:
        message = (
            channel_message(post) if isinstance(post, ChannelPrompt) else leaderboard_message(post)
        )
        try:
            await self._client.get_partial_messageable(channel_id).send(**message)
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
