"""Settings: ``config.yaml`` (optional) overridden key by key by environment variables.

Only this module reads the environment, so the rest of the bot receives plain values and
secrets are never logged (``Settings`` hides the token in its repr).

Every setting is checked when it is loaded: each field names its environment variable and
a parser in its metadata, and a value the parser refuses is one ``ConfigError`` line
naming the setting, the value and what is expected. An empty environment variable, or a
key of ``config.yaml`` left empty (``""`` or no value), counts as unset: the default.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.core.course_reloads import DEFAULT_CHECK_EVERY_S
from bot.core.shards import EVERY_SHARD, ShardRange
from bot.storage.target import DatabaseTarget, parse_target

CONFIG_ENV = "TUTOR_CONFIG"
DEFAULT_CONFIG_FILE = "config.yaml"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
HTTP_URL = "an http:// or https:// URL with a host"
HEARTBEAT_NAME = "bot.heartbeat"


class ConfigError(Exception):
    """The configuration file or an environment variable is invalid."""


class _Expected(ValueError):
    """A parser refusing a value: what is expected ("an integer"), and maybe a hint."""

    def __init__(self, expected: str, hint: str = "") -> None:
        super().__init__(expected)
        self.expected = expected
        self.hint = hint


Parser = Callable[[Any], Any]
"""A raw value (a string from the environment, any YAML value from the file) -> the
setting's value, or ``_Expected``."""


def _text(value: Any, expected: str = "a string") -> str:
    if not isinstance(value, str):
        raise _Expected(expected)
    return value


def _path(value: Any) -> Path:
    return Path(_text(value, "a path (a string)"))


def _database(value: Any) -> DatabaseTarget:
    return parse_target(_text(value, "a SQLite file path or a postgresql:// URL"))


def _integer(value: Any) -> int:
    # bool is an int to Python but `sandbox_port: true` is a mistake; so is 8060.5.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):
        return int(value)
    raise _Expected("an integer")


def _integer_between(low: int, high: int, expected: str) -> Parser:
    def parse(value: Any) -> int:
        number = _integer(value)
        if not low <= number <= high:
            raise _Expected(expected)
        return number

    return parse


def _number_between(low: float, high: float, expected: str) -> Parser:
    """A finite number (an integer or a decimal) from ``low`` to ``high``."""

    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise _Expected(expected)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _Expected(expected) from None
        if not (math.isfinite(number) and low <= number <= high):
            raise _Expected(expected)
        return number

    return parse


_rate = _number_between(
    0, math.inf, "a number of actions per second, 0 or more (0 turns the limit off)"
)


def _url(schemes: tuple[str, ...], expected: str) -> Parser:
    def parse(value: Any) -> str:
        url = _text(value, expected)
        try:
            parts = urlsplit(url)
            _ = parts.port  # ValueError: a port out of range or not a number
        except ValueError:
            raise _Expected(expected) from None
        if parts.scheme.lower() not in schemes or not parts.hostname:
            raise _Expected(expected)
        if any(c.isspace() for c in url):
            raise _Expected(expected)
        return url

    return parse


def _url_list(schemes: tuple[str, ...], expected: str) -> Parser:
    """One URL, or several separated by commas (several sandbox workers)."""
    one = _url(schemes, expected)

    def parse(value: Any) -> str:
        parts = [part.strip() for part in _text(value, expected).split(",")]
        return ",".join(one(part) for part in parts)

    return parse


def _timezone(value: Any) -> str:
    expected = "an IANA timezone name like 'America/New_York' or 'UTC'"
    name = _text(value, expected)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(name, zoneinfo.available_timezones(), n=1)
        raise _Expected(expected, f"did you mean {close[0]!r}?" if close else "") from None
    return name


def _log_level(value: Any) -> str:
    expected = f"one of {', '.join(LOG_LEVELS)}"
    level = _text(value, expected).strip().upper()
    if level not in LOG_LEVELS:
        raise _Expected(expected)
    return level


def _host(value: Any) -> str:
    host = _text(value, "a host name or IP address")
    if not host.strip() or any(c.isspace() for c in host):
        raise _Expected("a host name or IP address")
    return host


def _shards(value: Any) -> ShardRange:
    """``FIRST-LAST/COUNT`` or ``ID/COUNT``: the shards this process runs, of how many."""
    expected = "'FIRST-LAST/COUNT' or 'ID/COUNT' with FIRST <= LAST < COUNT (e.g. '0-3/8', '5/8')"
    number = r"\s*([0-9]+)\s*"
    found = re.fullmatch(f"{number}(?:-{number})?/{number}", _text(value, expected))
    if found is None:
        raise _Expected(expected)
    first, last, count = int(found[1]), int(found[2] or found[1]), int(found[3])
    if count < 1:
        raise _Expected(expected, "a bot has at least one shard")
    if not first <= last < count:
        raise _Expected(expected, f"shards are numbered 0 to {count - 1}, first to last")
    return ShardRange(first, last, count)


def _setting(env: str, parse: Parser) -> dict[str, Any]:
    """A field's metadata: the environment variable overriding it and its parser."""
    return {"env": env, "parse": parse}


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = field(
        default=None, repr=False, metadata=_setting("DISCORD_TOKEN", _text)
    )
    # A SQLite file path, or a postgresql:// URL (the key keeps its first name).
    db_path: DatabaseTarget = field(
        default=Path("data/tutor.sqlite3"), metadata=_setting("TUTOR_DB", _database)
    )
    # None: beside a SQLite database, else in data/ (see ``heartbeat_file``).
    health_file: Path | None = field(default=None, metadata=_setting("TUTOR_HEALTH_FILE", _path))
    content_dir: Path = field(default=Path("content"), metadata=_setting("TUTOR_CONTENT", _path))
    sandbox_url: str | None = field(
        default=None,
        metadata=_setting(
            "TUTOR_SANDBOX_URL",
            _url_list(("http", "https"), f"{HTTP_URL}, or several separated by commas"),
        ),
    )
    sandbox_host: str = field(default="127.0.0.1", metadata=_setting("TUTOR_SANDBOX_HOST", _host))
    sandbox_port: int = field(
        default=8060,
        metadata=_setting(
            "TUTOR_SANDBOX_PORT", _integer_between(0, 65535, "a port number from 0 to 65535")
        ),
    )
    discord_api_base: str | None = field(
        default=None, metadata=_setting("DISCORD_API_BASE", _url(("http", "https"), HTTP_URL))
    )
    discord_gateway_url: str | None = field(
        default=None,
        metadata=_setting(
            "DISCORD_GATEWAY_URL", _url(("ws", "wss"), "a ws:// or wss:// URL with a host")
        ),
    )
    dev_guild_id: int | None = field(
        default=None,
        metadata=_setting(
            "TUTOR_DEV_GUILD_ID",
            _integer_between(1, 2**64 - 1, "a Discord server id (a positive integer)"),
        ),
    )
    default_timezone: str = field(default="UTC", metadata=_setting("TUTOR_TIMEZONE", _timezone))
    log_level: str = field(default="INFO", metadata=_setting("TUTOR_LOG_LEVEL", _log_level))
    # Per user, Discord commands and clicks only; 0 in either turns the limit off.
    rate_per_s: float = field(default=5.0, metadata=_setting("TUTOR_RATE_PER_S", _rate))
    rate_burst: int = field(
        default=10,
        metadata=_setting(
            "TUTOR_RATE_BURST",
            _integer_between(0, 1000, "a whole number of actions from 0 to 1000 (0: off)"),
        ),
    )

    # How often a bot process checks whether another one reloaded the course.
    reload_check_s: float = field(
        default=DEFAULT_CHECK_EVERY_S,
        metadata=_setting(
            "TUTOR_RELOAD_CHECK_S",
            _number_between(1, 3600, "a number of seconds from 1 to 3600"),
        ),
    )

    # Unset: every shard in this process, as many as Discord recommends.
    shards: ShardRange = field(default=EVERY_SHARD, metadata=_setting("TUTOR_SHARDS", _shards))

    @property
    def heartbeat_file(self) -> Path:
        """The file the running bot touches and ``python -m bot health`` reads:
        ``TUTOR_HEALTH_FILE``, else in ``data_folder`` (beside a SQLite database, as
        before the setting existed; ``data/`` for a PostgreSQL server): ``bot.heartbeat``,
        or one per shard range, so that processes on shard ranges sharing a folder each
        have their own and one live process cannot hide a dead one."""
        if self.health_file is not None:
            return self.health_file
        shards = self.shards
        if shards.every_shard:
            return self.data_folder / HEARTBEAT_NAME
        return (
            self.data_folder
            / f"bot.shards-{shards.first}-{shards.last}-of-{shards.count}.heartbeat"
        )

    @property
    def effective_sandbox_url(self) -> str:
        """The local worker ``make run`` starts, unless workers are named."""
        return self.sandbox_url or f"http://{self.sandbox_host}:{self.sandbox_port}"

    @property
    def sandbox_urls(self) -> list[str]:
        return self.effective_sandbox_url.split(",")

    @property
    def data_folder(self) -> Path:
        """Where the bot keeps files beside its data: the SQLite file's folder, or
        ``data/`` (relative to the working folder) when the database is a server."""
        return self.db_path.parent if isinstance(self.db_path, Path) else Path("data")


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Read the config file (if present), let environment variables override it, and
    check every value (``ConfigError``: one line naming the setting and the value)."""
    environ = os.environ if environ is None else environ
    path = config_file or Path(environ.get(CONFIG_ENV, DEFAULT_CONFIG_FILE))
    raw: dict[Any, Any] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(_yaml_problem(path, exc)) from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: expected a mapping of settings")
        raw.update(loaded)
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(str(key) for key in set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown settings: {', '.join(unknown)}")
    for f in known.values():
        if environ.get(f.metadata["env"], "") != "":
            raw[f.name] = environ[f.metadata["env"]]
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or value == "":
            continue  # unset: the default
        try:
            values[name] = known[name].metadata["parse"](value)
        except _Expected as exc:
            # A secret is never echoed, only its type.
            shown = repr(value) if known[name].repr else f"a value of type {type(value).__name__}"
            hint = f" ({exc.hint})" if exc.hint else ""
            raise ConfigError(
                f"setting {name!r} must be {exc.expected}, got {shown}{hint}"
            ) from None
    return Settings(**values)


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """One line: where and what, as YAML's own message spreads over several."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    return f"{where}: cannot read config: {problem}"
