"""Plain data the stand-in keeps: users, roles, channels, guilds, and messages.

Everything here renders itself as the JSON Discord would send, so the REST and gateway
layers only pick which object to send.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from discord import Permissions

DISCORD_EPOCH_MS = 1_420_070_400_000
_sequence = itertools.count()

# Message flags (https://discord.com/developers/docs/resources/message#message-object-message-flags)
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
COMPONENTS_V2 = 1 << 15
# What a bot may set when it creates a message, and what survives an edit.
CREATE_FLAGS = SUPPRESS_EMBEDS | EPHEMERAL | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2
EDIT_FLAGS = SUPPRESS_EMBEDS | COMPONENTS_V2

# Channel types
GUILD_TEXT = 0
DM = 1

EVERYONE_PERMISSIONS = Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_application_commands=True,
)
BOT_PERMISSIONS = EVERYONE_PERMISSIONS | Permissions(
    manage_messages=True, use_external_emojis=True, send_messages_in_threads=True
)


def new_id() -> int:
    """A unique snowflake with the current time in its top bits, as Discord makes them.

    discord.py derives `created_at` from ids, so real-looking ids keep timestamps sane.
    """
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_sequence) & 0x3FFFFF)


def snowflake_on_shard(shard: int, count: int) -> int:
    """A unique snowflake for a guild on ``shard`` of ``count``: Discord's shard of a guild
    is ``(id >> 22) % count``, so the timestamp bits are moved back to the nearest fit."""
    fresh = new_id()
    ms = fresh >> 22
    return ((ms - (ms - shard) % count) << 22) | (fresh & 0x3FFFFF)


def shard_of(guild_id: int, count: int) -> int:
    """Discord's formula: the shard whose connection carries this guild's events."""
    return (guild_id >> 22) % count


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(eq=False)
class FakeUser:
    """A Discord account; `bot=True` for the bot itself."""

    name: str
    id: int = field(default_factory=new_id)
    bot: bool = False
    locale: str = "en-US"

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(eq=False)
class FakeRole:
    name: str
    permissions: int = 0
    id: int = field(default_factory=new_id)
    position: int = 1

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": True,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }


@dataclass(eq=False)
class FakeMember:
    """A user inside the guild; permissions come from roles (see FakeGuild.permissions_of)."""

    user: FakeUser
    roles: list[FakeRole] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name


@dataclass(eq=False)
class FakeChannel:
    """A guild text channel, or a DM channel when `recipient` is set."""

    name: str
    type: int = GUILD_TEXT
    id: int = field(default_factory=new_id)
    guild_id: int | None = None
    recipient: FakeUser | None = None
    position: int = 0

    def to_payload(self) -> dict[str, Any]:
        if self.type == DM:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM,
                "recipients": [self.recipient.to_payload()],
                "last_message_id": None,
                "flags": 0,
            }
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "topic": None,
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }


class FakeGuild:
    """One guild with what the tutor needs: a Teacher role, an admin, a student, a channel.

    Attributes name the ready-made pieces (`teacher`, `student`, `admin`, `owner`,
    `teacher_role`, `admin_role`, `text_channel`); add more before the client connects,
    since GUILD_CREATE is only sent at IDENTIFY. `id` picks its shard
    (`snowflake_on_shard`); by default it is a fresh snowflake.
    """

    def __init__(self, name: str = "asyncio class", *, id: int | None = None) -> None:
        self.id = new_id() if id is None else id
        self.name = name
        self.everyone_role = FakeRole(
            "@everyone", EVERYONE_PERMISSIONS.value, id=self.id, position=0
        )
        self.roles: list[FakeRole] = [self.everyone_role]
        self.channels: list[FakeChannel] = []
        self.members: list[FakeMember] = []
        self.teacher_role = self.add_role("Teacher")
        self.admin_role = self.add_role("Admin", Permissions(manage_guild=True).value)
        self.text_channel = self.add_text_channel("general")
        self.owner = self.add_member(FakeUser("guild-owner"))
        self.teacher = self.add_member(FakeUser("teacher"), self.teacher_role)
        self.student = self.add_member(FakeUser("student"))
        self.admin = self.add_member(FakeUser("admin"), self.admin_role)

    def add_role(self, name: str, permissions: int = 0) -> FakeRole:
        role = FakeRole(name, permissions, position=len(self.roles))
        self.roles.append(role)
        return role

    def add_text_channel(self, name: str) -> FakeChannel:
        channel = FakeChannel(name, guild_id=self.id, position=len(self.channels))
        self.channels.append(channel)
        return channel

    def add_member(self, user: FakeUser, *roles: FakeRole) -> FakeMember:
        member = FakeMember(user, list(roles))
        self.members.append(member)
        return member

    def member(self, user_id: int) -> FakeMember | None:
        return next((m for m in self.members if m.id == user_id), None)

    def permissions_of(self, member: FakeMember) -> int:
        """Guild-level permissions as Discord computes them (channel overwrites ignored)."""
        if member is self.owner:
            return Permissions.all().value
        value = self.everyone_role.permissions
        for role in member.roles:
            value |= role.permissions
        if Permissions(value).administrator:
            return Permissions.all().value
        return value

    def member_payload(self, member: FakeMember, *, with_user: bool = True) -> dict[str, Any]:
        """Member JSON; `with_user=False` is the shape used inside `resolved.members`."""
        payload: dict[str, Any] = {
            "roles": [str(r.id) for r in member.roles],
            "joined_at": member.joined_at,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
            "permissions": str(self.permissions_of(member)),
        }
        if with_user:
            payload["user"] = member.user.to_payload()
        return payload

    def to_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE body; member_count matches members so no chunking is needed."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner.id),
            "roles": [r.to_payload() for r in self.roles],
            "channels": [c.to_payload() for c in self.channels],
            "members": [self.member_payload(m) for m in self.members],
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "joined_at": iso_now(),
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
        }


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, as the bot sent it."""

    index: int
    filename: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class UserFile:
    """A file a user attaches to a slash command's attachment option (served by the
    stand-in's CDN route, as Discord serves it from its CDN)."""

    filename: str
    data: bytes
    content_type: str = "text/x-python"
    id: int = field(default_factory=new_id)


@dataclass(frozen=True)
class Attachment:
    """A file stored on a message."""

    id: int
    filename: str
    data: bytes
    content_type: str
    url: str
    description: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "description": self.description,
            "content_type": self.content_type,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
        }


def walk_components(components: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Every component, however nested (action rows, labels, sections, containers)."""
    for component in components:
        yield component
        yield from walk_components(component.get("components", []))
        for key in ("component", "accessory"):
            if key in component:
                yield from walk_components([component[key]])


@dataclass(eq=False)
class FakeMessage:
    """A message as the stand-in holds it; tests read it, edits mutate it in place.

    `history` keeps the payload before each edit, so a test can check what changed.
    `updated_at` (monotonic) is when it last changed.
    """

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    type: int = 0
    webhook_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    edited_timestamp: str | None = None
    timestamp: str = field(default_factory=iso_now)
    updated_at: float = field(default_factory=time.monotonic)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while a deferred response still shows "is thinking..."."""
        return bool(self.flags & LOADING)

    @property
    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for c in walk_components(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> Mapping[str, Any] | None:
        return next(
            (c for c in walk_components(self.components) if c.get("custom_id") == custom_id), None
        )

    def apply(self, data: Mapping[str, Any], attachments: Sequence[Attachment]) -> None:
        """Apply a bot's edit: fields present replace, kept attachments are listed by id."""
        self.history.append(self.to_payload())
        if "content" in data:
            self.content = data["content"] or ""
        if "embeds" in data:
            self.embeds = list(data["embeds"] or [])
        if "components" in data:
            self.components = list(data["components"] or [])
        if data.get("flags") is not None:
            self.flags = (self.flags & ~EDIT_FLAGS) | (data["flags"] & EDIT_FLAGS)
        if data.get("attachments") is not None:
            kept = {str(a.get("id")) for a in data["attachments"]}
            self.attachments = [a for a in self.attachments if str(a.id) in kept]
        self.attachments.extend(attachments)
        self.flags &= ~LOADING
        self.edited_timestamp = iso_now()
        self.updated_at = time.monotonic()

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_payload(),
            "content": self.content,
            "embeds": self.embeds,
            "components": self.components,
            "attachments": [a.to_payload() for a in self.attachments],
            "flags": self.flags,
            "type": self.type,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
        }
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            payload["webhook_id"] = str(self.webhook_id)
            payload["application_id"] = str(self.webhook_id)
        if self.interaction_metadata is not None:
            payload["interaction_metadata"] = self.interaction_metadata
        return payload
