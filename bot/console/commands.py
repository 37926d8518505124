"""The console's command language: Discord's chat box, typed.

``/lesson topic:coroutines level:basic`` names a command and its options; options may
also be given in order without names (``/lesson coroutines basic``). Feature modules
register their commands here with ``@command``; this module only parses and finds them.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[..., Awaitable[None]]


class UsageError(Exception):
    """A malformed command or an impossible choice: shown to the user as one line."""


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    options: tuple[str, ...] = ()
    help: str = ""
    teachers_only: bool = False


@dataclass(frozen=True)
class Invocation:
    name: str
    options: dict[str, str]
    words: tuple[str, ...] = ()


COMMANDS: dict[str, Command] = {}
ALIASES = {"exit": "quit", "flashcards": "flashcards review", "?": "help", "h": "help"}


def command(
    name: str, *options: str, help: str, teachers_only: bool = False
) -> Callable[[Handler], Handler]:
    """Register ``handler(console, **options)`` as ``/name``."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, handler, options, help, teachers_only)
        return handler

    return register


def parse(line: str) -> Invocation:
    """``/lesson topic:coroutines level:basic`` -> name ``lesson`` with two options; the
    longest registered name wins (``/flashcards daily dm`` before ``/flashcards``)."""
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"Could not read that command: {exc}.") from exc
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and words and re.fullmatch(r"[a-z_-]+", key.lower()):
            options[key.lower().replace("_", "-")] = value
        else:
            words.append(token.lstrip("/").lower() if not words else token)
    if not words:
        raise UsageError("Type a command, e.g. /lessons (help lists them all).")
    for length in (3, 2):
        name = " ".join(w.lower() for w in words[:length])
        if len(words) >= length and name in COMMANDS:
            return Invocation(name, options, tuple(words[length:]))
    name = ALIASES.get(words[0], words[0])
    return Invocation(name, options, tuple(words[1:]))


def find(call: Invocation) -> tuple[Command, dict[str, str]]:
    """The command and its options by name (positional words fill options in order)."""
    found = COMMANDS.get(call.name)
    if found is None:
        raise UsageError(f"Unknown command /{call.name}.{_suggestion(call.name)}")
    unknown = sorted(set(call.options) - set(found.options))
    if unknown:
        allowed = ", ".join(found.options) or "none"
        raise UsageError(f"/{found.name} has no option {unknown[0]!r} (options: {allowed}).")
    options = dict(call.options)
    spare = [option for option in found.options if option not in options]
    if len(call.words) > len(spare):
        extra = " ".join(call.words[len(spare) :])
        raise UsageError(f"/{found.name} does not take {extra!r}. {usage(found)}")
    options.update(zip(spare, call.words, strict=False))
    return found, options


def usage(found: Command) -> str:
    return f"Usage: {found.help}" if found.help else ""


def _suggestion(typed: str) -> str:
    names = list(COMMANDS)
    close = [target for alias, target in ALIASES.items() if alias.startswith(typed)]
    close += sorted((n for n in names if n.startswith(typed)), key=len)
    close += difflib.get_close_matches(typed, names, n=3, cutoff=0.6)
    seen = list(dict.fromkeys(close))[:3]
    if not seen:
        return " Type help for the list."
    return " Did you mean " + " or ".join(f"/{n}" for n in seen) + "?"


def keyword_names(options: dict[str, str]) -> dict[str, Any]:
    """Option names as Python keywords (``leaderboard-day`` -> ``leaderboard_day``)."""
    return {key.replace("-", "_"): value for key, value in options.items()}
