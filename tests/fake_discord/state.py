"""What the stand-in knows and the rules it applies: the world the REST and gateway sides share.

Handlers never build JSON by hand for state they change; they call World methods, which
enforce Discord's rules (3 s to acknowledge, one acknowledgement, message limits) and
raise DiscordError for the REST layer to render.

Nothing here is decided by the wall clock, so a busy machine changes no outcome: the
acknowledgement deadline counts the CPU time this process spent (see `acknowledge`), and
every wait ends on a change, its wall-clock bound being only how long to wait for a bot
that will never answer.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from discord import InteractionResponseType, InteractionType

from .limits import choices_problems, message_problems
from .models import (
    BOT_PERMISSIONS,
    CREATE_FLAGS,
    DM,
    EPHEMERAL,
    LOADING,
    Attachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    Upload,
    new_id,
)

T = TypeVar("T")
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
CHAT_INPUT_COMMAND_MESSAGE = 20


class DiscordError(Exception):
    """An error as Discord reports it: HTTP status plus a JSON code and message."""

    def __init__(self, status: int, code: int, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(f"{status} {code} {message} {list(problems) or ''}")
        self.status = status
        self.code = code
        self.message = message
        self.problems = list(problems)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.problems:
            payload["errors"] = {
                "_errors": [{"code": "INVALID", "message": p} for p in self.problems]
            }
        return payload


@dataclass(frozen=True)
class RestCall:
    """One REST request the bot made; `json` is the parsed body (payload_json for uploads)."""

    method: str
    path: str
    query: Mapping[str, str]
    json: Any
    files: tuple[Upload, ...]
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # the response's


def route_matches(method_pattern: str, path_pattern: str, method: str, path: str) -> bool:
    """`method_pattern` is a method or "*"; `path_pattern` a glob on the path after /api/v10."""
    return method_pattern in ("*", method) and fnmatchcase(path, path_pattern)


@dataclass
class Failure:
    """An injected error: requests matching `method` and `path` (a glob) get it instead.

    `times=None` fails forever; otherwise the failure is used up after that many requests.
    """

    method: str
    path: str
    status: int
    code: int = 0
    message: str = "injected failure"
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return route_matches(self.method, self.path, method, path)


@dataclass(frozen=True)
class Callback:
    """The bot's initial answer to an interaction."""

    type: InteractionResponseType
    data: Mapping[str, Any]
    message: FakeMessage | None

    @property
    def ephemeral(self) -> bool:
        return self.message is not None and self.message.ephemeral

    @property
    def choices(self) -> list[Mapping[str, Any]]:
        """Autocomplete results, `[{"name": ..., "value": ...}]`."""
        return list(self.data.get("choices", []))


class FakeInteraction:
    """One interaction a fake user started, and everything the bot answered to it.

    `response()` waits for the initial callback, `original()` for the message it created
    or updated (optionally until a later edit satisfies `until`), `followups()` for
    followup messages. Each raises AssertionError after the fake's `wait_timeout`.
    """

    def __init__(
        self,
        world: World,
        *,
        type: InteractionType,
        label: str,
        user: FakeMember,
        channel: FakeChannel,
        source: FakeMessage | None,
    ) -> None:
        self.id = new_id()
        self.token = secrets.token_urlsafe(32)
        self.type = type
        self.label = label
        self.user = user
        self.channel = channel
        self.source = source
        self.created_at = time.monotonic()
        self.created_cpu = time.process_time()  # what the acknowledgement deadline counts
        self.payload: dict[str, Any] = {}
        self.callback: Callback | None = None
        self.original_message: FakeMessage | None = None
        self.followup_messages: list[FakeMessage] = []
        self._world = world

    def __repr__(self) -> str:
        return f"<FakeInteraction {self.label} by {self.user.name}>"

    async def response(self) -> Callback:
        return await self._world.wait_for(lambda: self.callback, f"the response to {self!r}")

    async def original(self, until: Callable[[FakeMessage], bool] | None = None) -> FakeMessage:
        def check() -> FakeMessage | None:
            message = self.original_message
            if message is None or (until is not None and not until(message)):
                return None
            return message

        return await self._world.wait_for(check, f"the original response of {self!r}")

    async def followups(self, count: int = 1) -> list[FakeMessage]:
        return await self._world.wait_for(
            lambda: list(self.followup_messages) if len(self.followup_messages) >= count else None,
            f"{count} followup(s) to {self!r}",
        )

    def metadata(self) -> dict[str, Any]:
        """`interaction_metadata` for messages this interaction created."""
        metadata: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type.value,
            "user": self.user.user.to_payload(),
            # Discord sends "0" as the guild-install owner for interactions in DMs.
            "authorizing_integration_owners": {"0": str(self.channel.guild_id or 0)},
        }
        if self.source is not None:
            metadata["interacted_message_id"] = str(self.source.id)
        return metadata


class World:
    """Everything the stand-in knows: guilds, bot, messages, interactions, commands, calls.

    `guild` is the first guild, where tests act unless they name a channel elsewhere;
    `shard_count` is what `/gateway/bot` recommends.
    """

    def __init__(
        self,
        guild: FakeGuild,
        *,
        token: str,
        ack_deadline: float,
        wait_timeout: float,
        shard_count: int = 1,
    ) -> None:
        self.guild = guild
        self.guilds: list[FakeGuild] = []
        self.shard_count = shard_count
        self.token = token
        self.ack_deadline = ack_deadline
        self.wait_timeout = wait_timeout
        self.bot = FakeUser("asyncio-tutor", bot=True)
        self.application_id = self.bot.id
        self._bot_members: dict[int, FakeMember] = {}
        self.add_guild(guild)
        self.base_url = ""
        self.gateway_url = ""
        self.dm_channels: dict[int, FakeChannel] = {}
        self.dm_blocked: set[int] = set()
        self.messages: dict[int, FakeMessage] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.commands: dict[int | None, list[dict[str, Any]]] = {}
        self.calls: list[RestCall] = []
        self.failures: list[Failure] = []
        self._changed = asyncio.Condition()
        self._wakers: set[asyncio.Task[None]] = set()

    async def changed(self) -> None:
        """Wake everyone waiting in wait_for; called after every REST request."""
        async with self._changed:
            self._changed.notify_all()

    def wake(self) -> None:
        """`changed()` from synchronous code (a hook inside a client)."""
        task = asyncio.get_running_loop().create_task(self.changed())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    async def wait_for(self, check: Callable[[], T | None], what: str) -> T:
        """Wait until `check()` returns something truthy, re-checking after each change
        (every REST request, and every gateway connection made ready or resumed).

        Gives up after `wait_timeout` with an AssertionError naming `what`: that bound is
        for a bot that will never answer, and is no measure of how fast one is.
        """
        async with self._changed:
            try:
                return await asyncio.wait_for(self._changed.wait_for(check), self.wait_timeout)
            except TimeoutError:
                raise AssertionError(
                    f"timed out after {self.wait_timeout}s waiting for {what}"
                ) from None

    def take_failure(self, method: str, path: str) -> Failure | None:
        failure = next((f for f in self.failures if f.matches(method, path)), None)
        if failure is not None and failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                self.failures.remove(failure)
        return failure

    def add_guild(self, guild: FakeGuild) -> None:
        """The bot joins ``guild`` (a member with its role); clients that identify from
        now on receive it, on the shard that carries it."""
        role = guild.add_role("asyncio-tutor", BOT_PERMISSIONS.value)
        self._bot_members[guild.id] = guild.add_member(self.bot, role)
        self.guilds.append(guild)

    # -- lookups ---------------------------------------------------------------------------

    def find_guild(self, guild_id: int) -> FakeGuild:
        guild = next((g for g in self.guilds if g.id == guild_id), None)
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    def guild_of(self, channel: FakeChannel) -> FakeGuild:
        """A guild channel's guild (interactions in a DM are built in the first guild's)."""
        return self.guild if channel.guild_id is None else self.find_guild(channel.guild_id)

    def user(self, user_id: int) -> FakeUser:
        member = next((m for g in self.guilds if (m := g.member(user_id)) is not None), None)
        if member is None:
            raise DiscordError(404, 10013, "Unknown User")
        return member.user

    def channel(self, channel_id: int) -> FakeChannel:
        channels = [*(c for g in self.guilds for c in g.channels), *self.dm_channels.values()]
        channel = next((c for c in channels if c.id == channel_id), None)
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        """The DM channel with `user`, created on first use as Discord does."""
        if user.id not in self.dm_channels:
            self.dm_channels[user.id] = FakeChannel(user.name, type=DM, recipient=user)
        return self.dm_channels[user.id]

    def channel_message(self, channel_id: int, message_id: int) -> FakeMessage:
        message = self.messages.get(message_id)
        # Ephemeral messages exist only for their interaction, not in the channel.
        if (
            message is None
            or message.deleted
            or message.ephemeral
            or message.channel_id != channel_id
        ):
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    def interaction(self, interaction_id: int, token: str) -> FakeInteraction:
        ix = self.interactions.get(interaction_id)
        if ix is None or ix.token != token:
            raise DiscordError(404, 10062, "Unknown interaction")
        return ix

    def interaction_by_token(self, application_id: int, token: str) -> FakeInteraction:
        """The interaction behind a followup webhook; usable once it was acknowledged."""
        ix = next((i for i in self.interactions.values() if i.token == token), None)
        if application_id != self.application_id or ix is None or ix.callback is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        return ix

    def interaction_message(self, ix: FakeInteraction, message_id: str) -> FakeMessage:
        """`@original` or a followup of this interaction."""
        if message_id == "@original":
            message = ix.original_message
        else:
            candidates = [ix.original_message, *ix.followup_messages]
            message = next(
                (m for m in candidates if m is not None and str(m.id) == message_id), None
            )
        if message is None or message.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    # -- messages --------------------------------------------------------------------------

    def _attachments(
        self, channel: FakeChannel, data: Mapping[str, Any], uploads: Sequence[Upload]
    ) -> list[Attachment]:
        described = {str(a.get("id")): a.get("description") for a in data.get("attachments") or []}
        attachments = []
        for upload in uploads:
            attachment_id = new_id()
            attachments.append(
                Attachment(
                    id=attachment_id,
                    filename=upload.filename,
                    data=upload.data,
                    content_type=upload.content_type,
                    url=f"{self.base_url}/attachments/{channel.id}/{attachment_id}/{upload.filename}",
                    description=described.get(str(upload.index)),
                )
            )
        return attachments

    def create_message(
        self,
        channel: FakeChannel,
        data: Mapping[str, Any],
        uploads: Sequence[Upload] = (),
        *,
        interaction: FakeInteraction | None = None,
        loading: bool = False,
    ) -> FakeMessage:
        """A new message by the bot; `loading` is the "is thinking..." of a deferral."""
        if problems := message_problems(data):
            raise DiscordError(400, 50035, "Invalid Form Body", problems)
        has_body = any(data.get(k) for k in ("content", "embeds", "components", "poll"))
        if not (loading or has_body or uploads):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        if channel.type == DM and channel.recipient is not None:
            if channel.recipient.id in self.dm_blocked:
                raise DiscordError(403, 50007, "Cannot send messages to this user")
        allowed = CREATE_FLAGS if interaction is not None else CREATE_FLAGS & ~EPHEMERAL
        is_command = (
            interaction is not None and interaction.type is InteractionType.application_command
        )
        message = FakeMessage(
            id=new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.bot,
            content=data.get("content") or "",
            embeds=list(data.get("embeds") or []),
            components=list(data.get("components") or []),
            flags=((data.get("flags") or 0) & allowed) | (LOADING if loading else 0),
            attachments=self._attachments(channel, data, uploads),
            type=CHAT_INPUT_COMMAND_MESSAGE if is_command else 0,
            webhook_id=self.application_id if interaction is not None else None,
            interaction_metadata=interaction.metadata() if interaction is not None else None,
        )
        self.messages[message.id] = message
        return message

    def edit_message(
        self, message: FakeMessage, data: Mapping[str, Any], uploads: Sequence[Upload] = ()
    ) -> None:
        if problems := message_problems(data):
            raise DiscordError(400, 50035, "Invalid Form Body", problems)
        channel = self.channel(message.channel_id)
        message.apply(data, self._attachments(channel, data, uploads))

    # -- interactions ----------------------------------------------------------------------

    def new_interaction(
        self,
        type: InteractionType,
        data: Mapping[str, Any],
        *,
        label: str,
        user: FakeMember,
        channel: FakeChannel,
        source: FakeMessage | None = None,
    ) -> FakeInteraction:
        """Register an interaction and build the INTERACTION_CREATE body discord.py expects."""
        ix = FakeInteraction(
            self, type=type, label=label, user=user, channel=channel, source=source
        )
        guild = self.guild_of(channel)
        guild_id = str(guild.id)
        ix.payload = {
            "id": str(ix.id),
            "application_id": str(self.application_id),
            "type": type.value,
            "token": ix.token,
            "version": 1,
            "data": data,
            "guild_id": guild_id,
            "guild": {"id": guild_id, "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "channel_id": str(channel.id),
            "channel": channel.to_payload(),
            "member": guild.member_payload(user),
            "app_permissions": str(guild.permissions_of(self._bot_members[guild.id])),
            "locale": user.user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": guild_id},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if source is not None:
            ix.payload["message"] = source.to_payload()
        self.interactions[ix.id] = ix
        return ix

    def acknowledge(
        self, ix: FakeInteraction, type: int, data: Mapping[str, Any], uploads: Sequence[Upload]
    ) -> Callback:
        """Apply an interaction callback the way Discord does, or refuse it.

        Discord forgets an interaction not acknowledged within 3 s. Here the deadline
        counts the CPU time this process spent since the interaction was created, not
        the wall clock: a bot in this process that does too much (or blocks its loop)
        before acknowledging misses it on any machine, and a busy machine never makes a
        prompt bot miss it. (A bot in another process is not timed.)
        """
        if ix.callback is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if time.process_time() - ix.created_cpu > self.ack_deadline:
            raise DiscordError(404, 10062, "Unknown interaction")
        kind = _callback_type(ix, type)
        message: FakeMessage | None = None
        if kind is InteractionResponseType.channel_message:
            message = self.create_message(ix.channel, data, uploads, interaction=ix)
        elif kind is InteractionResponseType.deferred_channel_message:
            ephemeral = {"flags": (data.get("flags") or 0) & EPHEMERAL}
            message = self.create_message(ix.channel, ephemeral, interaction=ix, loading=True)
        elif kind is InteractionResponseType.message_update:
            assert ix.source is not None
            message = ix.source
            self.edit_message(message, data, uploads)
        elif kind is InteractionResponseType.deferred_message_update:
            message = ix.source
        elif kind is InteractionResponseType.autocomplete_result:
            if problems := choices_problems(list(data.get("choices", []))):
                raise DiscordError(400, 50035, "Invalid Form Body", problems)
        if message is not None:
            ix.original_message = message
        ix.callback = Callback(kind, dict(data), message)
        return ix.callback

    def followup(
        self, ix: FakeInteraction, data: Mapping[str, Any], uploads: Sequence[Upload]
    ) -> FakeMessage:
        """A followup message; right after a deferral it fills the "thinking" message.

        That is Discord's rule: the first followup after DEFERRED_CHANNEL_MESSAGE edits the
        loading message and keeps the deferral's visibility, whatever flags it asks for.
        """
        original = ix.original_message
        if original is not None and original.loading:
            self.edit_message(original, {k: v for k, v in data.items() if k != "flags"}, uploads)
            message = original
        else:
            message = self.create_message(ix.channel, data, uploads, interaction=ix)
        ix.followup_messages.append(message)
        return message


_ALLOWED_CALLBACKS: dict[InteractionType, set[InteractionResponseType]] = {
    InteractionType.application_command: {
        InteractionResponseType.channel_message,
        InteractionResponseType.deferred_channel_message,
        InteractionResponseType.modal,
    },
    InteractionType.component: {
        InteractionResponseType.channel_message,
        InteractionResponseType.deferred_channel_message,
        InteractionResponseType.deferred_message_update,
        InteractionResponseType.message_update,
        InteractionResponseType.modal,
    },
    InteractionType.autocomplete: {InteractionResponseType.autocomplete_result},
    InteractionType.modal_submit: {
        InteractionResponseType.channel_message,
        InteractionResponseType.deferred_channel_message,
        InteractionResponseType.deferred_message_update,
        InteractionResponseType.message_update,
    },
}


def _callback_type(ix: FakeInteraction, value: int) -> InteractionResponseType:
    """The callback type if Discord accepts it for this interaction (updates need a message)."""
    try:
        kind = InteractionResponseType(value)
    except ValueError:
        kind = None
    updates = {
        InteractionResponseType.message_update,
        InteractionResponseType.deferred_message_update,
    }
    if (
        kind is None
        or kind not in _ALLOWED_CALLBACKS[ix.type]
        or (kind in updates and ix.source is None)
    ):
        raise DiscordError(
            400, 50035, "Invalid Form Body", [f"type: {value} is not valid for {ix.type.name}"]
        )
    return kind
