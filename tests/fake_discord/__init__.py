"""A local Discord stand-in (REST + gateway on 127.0.0.1) for testing the bot's Discord layer.

A real discord.py client connects to it; tests play the users (slash commands,
autocomplete, clicks, modals) and inspect what the bot answered. See FakeDiscord.
"""

from .models import (
    Attachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
)
from .server import FakeDiscord, point_discord_py_at
from .state import Callback, DiscordError, Failure, FakeInteraction, RestCall

__all__ = [
    "Attachment",
    "Callback",
    "DiscordError",
    "Failure",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "RestCall",
    "point_discord_py_at",
]
