"""Settings: ``config.yaml`` (optional) overridden key by key by environment variables.

Only this module reads the environment, so the rest of the bot receives plain values and
secrets are never logged (``Settings`` hides the token in its repr).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

CONFIG_ENV = "TUTOR_CONFIG"
DEFAULT_CONFIG_FILE = "config.yaml"


class ConfigError(Exception):
    """The configuration file or an environment variable is invalid."""


@dataclass(frozen=True)
class Settings:
    discord_token: str | None = field(default=None, repr=False, metadata={"env": "DISCORD_TOKEN"})
    db_path: Path = field(default=Path("data/tutor.sqlite3"), metadata={"env": "TUTOR_DB"})
    content_dir: Path = field(default=Path("content"), metadata={"env": "TUTOR_CONTENT"})
    sandbox_url: str | None = field(default=None, metadata={"env": "TUTOR_SANDBOX_URL"})
    sandbox_host: str = field(default="127.0.0.1", metadata={"env": "TUTOR_SANDBOX_HOST"})
    sandbox_port: int = field(default=8060, metadata={"env": "TUTOR_SANDBOX_PORT"})
    discord_api_base: str | None = field(default=None, metadata={"env": "DISCORD_API_BASE"})
    discord_gateway_url: str | None = field(default=None, metadata={"env": "DISCORD_GATEWAY_URL"})
    dev_guild_id: int | None = field(default=None, metadata={"env": "TUTOR_DEV_GUILD_ID"})
    default_timezone: str = field(default="UTC", metadata={"env": "TUTOR_TIMEZONE"})
    log_level: str = field(default="INFO", metadata={"env": "TUTOR_LOG_LEVEL"})

    @property
    def effective_sandbox_url(self) -> str:
        return self.sandbox_url or f"http://{self.sandbox_host}:{self.sandbox_port}"


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: Path | None = None
) -> Settings:
    """Read the config file (if present), then let environment variables override it."""
    environ = os.environ if environ is None else environ
    path = config_file or Path(environ.get(CONFIG_ENV, DEFAULT_CONFIG_FILE))
    raw: dict[str, Any] = {}
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
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown settings: {', '.join(unknown)}")
    for f in known.values():
        if f.metadata["env"] in environ and environ[f.metadata["env"]] != "":
            raw[f.name] = environ[f.metadata["env"]]
    return Settings(
        **{name: _convert(known[name].type, name, value) for name, value in raw.items()}
    )


def _convert(type_name: Any, name: str, value: Any) -> Any:
    if value is None:
        return None
    text = str(type_name)
    try:
        if "Path" in text:
            return Path(str(value))
        if "int" in text:
            return int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name!r} must be an integer, got {value!r}") from exc
    return str(value)


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    """One line: where and what, as YAML's own message spreads over several."""
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or "not valid YAML"
    return f"{where}: cannot read config: {problem}"
