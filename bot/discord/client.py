"""The discord.py client: cogs, persistent buttons, error handling, sync-on-change.

It is an ``AutoShardedBot``: Discord's ``/gateway/bot`` says how many shards the bot's
guild count needs (one for a school), so growing past 2,500 guilds needs no code change.
With ``TUTOR_SHARDS`` it runs only those shards, and does the work nobody asks for
(daily prompts, start-up recovery) only for their guilds: another process serves the rest.

It owns no data and no rules: the learning core (``Tutor``) is opened by ``serve`` and
handed in, so tests can build the bot around a fresh core.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
from functools import partial
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.config import Settings
from bot.core.context import CONSOLE_GUILD
from bot.core.daily import GuildScope
from bot.core.shards import ShardRange
from bot.core.tasks import TaskKeeper
from bot.core.tutor import Tutor
from bot.discord.rate_limit import RateLimit
from bot.discord.sender import DiscordSender
from bot.discord.ui.actions import ActionButton
from bot.discord.ui.classquiz import tell_ended_early
from bot.discord.ui.exercises import ChannelAssignment
from bot.discord.ui.replies import SHUTTING_DOWN, UserFacingError, context_of, report_error, send
from bot.ops.health import HEARTBEAT_EVERY_S
from bot.ops.heartbeat import beat

log = logging.getLogger("bot.discord")

COGS = (
    "bot.discord.cogs.lessons",
    "bot.discord.cogs.flashcards",
    "bot.discord.cogs.quiz",
    "bot.discord.cogs.classquiz",
    "bot.discord.cogs.run",
    "bot.discord.cogs.progress",
    "bot.discord.cogs.admin",
    "bot.discord.cogs.daily",
    "bot.discord.cogs.exercises",
    "bot.discord.cogs.content",
    "bot.discord.cogs.class_report",
)
SYNC_HASH_KEY = "command_tree_hash"


def discord_guilds(shards: ShardRange) -> GuildScope:
    """The guilds whose daily prompts, quizzes and assignments this process looks after:
    those on its shards (their interactions reach no other process), never the console's."""
    return lambda guild_id: guild_id != CONSOLE_GUILD and shards.holds(guild_id)


class TutorBot(commands.AutoShardedBot):
    def __init__(self, settings: Settings, tutor: Tutor) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # not privileged: the guild cache, roles and channels
        shards = settings.shards
        # Without them: every shard, as many as Discord's /gateway/bot recommends.
        sharding: dict[str, Any] = (
            {}
            if shards.every_shard
            else {"shard_ids": list(shards.ids), "shard_count": shards.count}
        )
        # The bot never joins a voice channel: without this, discord.py warns at every
        # start that the voice libraries (PyNaCl, davey) are not installed.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            help_command=None,
            chunk_guilds_at_startup=False,
            allowed_mentions=discord.AllowedMentions.none(),
            **sharding,
        )
        self.settings = settings
        self.tutor = tutor
        self.own_guilds = discord_guilds(shards)
        self.background = TaskKeeper()  # the Discord side's own tasks (the heartbeat)
        self.tree.error(self._on_app_command_error)
        self.tree.interaction_check = self._accepting  # type: ignore[method-assign]
        self.accepting = True
        self.rate_limit = RateLimit(settings.rate_per_s, settings.rate_burst)
        self._judge_at_the_gateway()

    async def setup_hook(self) -> None:
        for extension in COGS:
            await self.load_extension(extension)
        self.add_dynamic_items(ActionButton)
        await self.sync_commands_if_changed()
        self.background.spawn(self._heartbeat(), name="heartbeat")
        # A quiz or assignment of another process's guild is running there, not cut short.
        recovery = self.tutor.class_quizzes.recover(
            self.own_guilds, partial(tell_ended_early, self)
        )
        self.background.spawn(recovery, name="class-quiz-recovery")
        assignments = self.tutor.class_exercises.recover(
            self.own_guilds, lambda row: ChannelAssignment(self, row.channel_id)
        )
        self.background.spawn(assignments, name="class-exercise-recovery")
        self.background.spawn(self.rate_limit.notices.run(), name="slow-down-notices")
        self.tutor.deliver_daily_prompts(DiscordSender(self), self.own_guilds)
        self.tutor.follow_reloads()  # another process's /tutor-admin reload reaches this one

    async def _heartbeat(self) -> None:
        """Touch the heartbeat file while connected (``python -m bot health`` reads it)."""
        path = self.settings.heartbeat_file
        while True:
            if self.is_ready() and not self.is_closed():
                await beat(self.tutor, path)
            await asyncio.sleep(HEARTBEAT_EVERY_S if self.is_ready() else 1.0)

    def command_tree_hash(self) -> str:
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands_if_changed(self) -> bool:
        """Sync slash commands only when their definitions changed (Discord rate-limits
        command creation): the hash of the last synced tree is kept in the database."""
        guild_id = self.settings.dev_guild_id
        key = f"{SYNC_HASH_KEY}:{guild_id or 'global'}"
        current = self.command_tree_hash()
        if await self.tutor.remembered.get(key) == current:
            log.info("slash commands unchanged; not syncing")
            return False
        guild = discord.Object(guild_id) if guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        await self.tutor.remembered.put(key, current)
        log.info("synced %d slash commands (%s)", len(synced), guild_id or "global")
        return True

    async def _on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure) and not isinstance(
            original, UserFacingError
        ):
            await send(interaction, content=str(error) or "You cannot use this.", ephemeral=True)
            return
        await report_error(interaction, original)

    async def on_ready(self) -> None:
        """Move start-up objects (course, discord.py caches) out of the collector's way:
        a full collection stops the loop, and measured 15-30 ms in the class-quiz bench
        with them scanned versus 1-4 ms frozen (bench/RESULTS.md)."""
        gc.collect()
        gc.freeze()
        log.info("connected as %s to %d guild(s) on %s", self.user, len(self.guilds),
                 self.settings.shards)  # fmt: skip

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """One log line per interaction, with its context (never tokens or outputs)."""
        log.info("interaction %s", context_of(interaction))

    async def _accepting(self, interaction: discord.Interaction) -> bool:
        """Every slash command (and its autocomplete, served from memory: not limited)."""
        if not self.accepting:
            raise UserFacingError(SHUTTING_DOWN)
        return interaction.type is discord.InteractionType.autocomplete or self.admit(interaction)

    def _judge_at_the_gateway(self) -> None:
        """Commands and clicks meet the rate limit as the gateway delivers them, so a
        flood's refusals are dropped before discord.py builds an Interaction, runs the
        command tree or rebuilds a View for each. discord.py offers no hook there: this
        wraps its INTERACTION_CREATE parser (without it, ``admit`` judges by itself)."""
        parsers = self._connection.parsers
        parse = parsers.get("INTERACTION_CREATE")
        if parse is None:
            log.warning("no INTERACTION_CREATE parser: the rate limit judges later")
            return
        judged = {
            discord.InteractionType.application_command.value,
            discord.InteractionType.component.value,
        }

        def parse_unless_refused(data: dict[str, Any]) -> None:
            user = (data.get("member") or {}).get("user") or data.get("user") or {}
            if (
                data.get("type") not in judged
                or "id" not in user
                or self.rate_limit.judge(int(data["id"]), int(user["id"]))
            ):
                parse(data)

        parsers["INTERACTION_CREATE"] = parse_unless_refused

    def admit(self, interaction: discord.Interaction) -> bool:
        """Whether this user's command or click may run now (``RateLimit``); if not, a
        private "slow down" is on its way and nothing else happens."""
        return self.rate_limit.admit(interaction)

    async def close(self) -> None:
        """Refuse new work, stop the core's background work (class quizzes save their
        results and post their podium) and our own, then disconnect."""
        self.accepting = False
        await self.tutor.stop()
        await self.background.close()
        await super().close()
