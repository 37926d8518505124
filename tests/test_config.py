"""Settings: config file, environment overrides, every value checked, the shipped example.

A bad value, from the environment or from ``config.yaml``, is one ``ConfigError`` line
naming the setting, the value and what is expected; ``python -m bot`` prints it and
exits 2 before anything starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, Settings, load_settings
from bot.core.shards import EVERY_SHARD, ShardRange
from tests.cli import run_bot
from tests.conftest import ROOT

NO_FILE = Path("/nonexistent/config.yaml")


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings({}, tmp_path / "missing.yaml")
    assert settings == Settings()
    assert settings.db_path == Path("data/tutor.sqlite3")


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("db_path: from-file.sqlite3\nsandbox_port: 9000\n")
    env = {"TUTOR_DB": "from-env.sqlite3", "DISCORD_TOKEN": "secret"}
    settings = load_settings(env, config)
    assert settings.db_path == Path("from-env.sqlite3")
    assert settings.sandbox_port == 9000
    assert "secret" not in repr(settings)


def test_empty_values_count_as_unset(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text('db_path:\nsandbox_url: ""\ndev_guild_id:\n')
    assert load_settings({"TUTOR_TIMEZONE": "", "TUTOR_SANDBOX_PORT": ""}, config) == Settings()


GOOD_ENVIRONMENT = [
    ("TUTOR_TIMEZONE", "Europe/Paris", "default_timezone", "Europe/Paris"),
    ("TUTOR_TIMEZONE", "America/Argentina/Buenos_Aires", "default_timezone", None),
    ("TUTOR_TIMEZONE", "UTC", "default_timezone", "UTC"),
    ("TUTOR_LOG_LEVEL", "debug", "log_level", "DEBUG"),
    ("TUTOR_LOG_LEVEL", "Warning", "log_level", "WARNING"),
    ("TUTOR_LOG_LEVEL", "CRITICAL", "log_level", "CRITICAL"),
    ("TUTOR_SANDBOX_PORT", "0", "sandbox_port", 0),
    ("TUTOR_SANDBOX_PORT", "65535", "sandbox_port", 65535),
    ("TUTOR_DEV_GUILD_ID", "123456789012345678", "dev_guild_id", 123456789012345678),
    ("TUTOR_SANDBOX_URL", "http://sandbox:8060", "sandbox_url", None),
    ("TUTOR_SANDBOX_URL", "https://runner.example.org/", "sandbox_url", None),
    ("TUTOR_SANDBOX_HOST", "0.0.0.0", "sandbox_host", None),
    ("DISCORD_API_BASE", "http://127.0.0.1:8765/api/v10", "discord_api_base", None),
    ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:8765/gateway", "discord_gateway_url", None),
    ("DISCORD_GATEWAY_URL", "wss://gateway.discord.gg", "discord_gateway_url", None),
    ("TUTOR_DB", "/var/lib/tutor/tutor.sqlite3", "db_path", Path("/var/lib/tutor/tutor.sqlite3")),
    ("TUTOR_RATE_PER_S", "2.5", "rate_per_s", 2.5),
    ("TUTOR_RATE_PER_S", "0", "rate_per_s", 0.0),
    ("TUTOR_RATE_BURST", "20", "rate_burst", 20),
    ("TUTOR_RATE_BURST", "0", "rate_burst", 0),
    ("TUTOR_RELOAD_CHECK_S", "5", "reload_check_s", 5.0),
    ("TUTOR_RELOAD_CHECK_S", "2.5", "reload_check_s", 2.5),
    ("TUTOR_SHARDS", "0-3/8", "shards", ShardRange(0, 3, 8)),
    ("TUTOR_SHARDS", "5/8", "shards", ShardRange(5, 5, 8)),
    ("TUTOR_SHARDS", "0/1", "shards", ShardRange(0, 0, 1)),
    ("TUTOR_SHARDS", " 2 - 3 / 4 ", "shards", ShardRange(2, 3, 4)),
]


@pytest.mark.parametrize(
    ("variable", "value", "name", "expected"), GOOD_ENVIRONMENT, ids=lambda v: str(v)
)
def test_good_values_are_accepted(variable: str, value: str, name: str, expected: Any) -> None:
    settings = load_settings({variable: value}, NO_FILE)
    assert getattr(settings, name) == (value if expected is None else expected)


BAD_ENVIRONMENT = [
    # (variable, value, setting, what the message says is expected)
    ("TUTOR_TIMEZONE", "Europe/Pari", "default_timezone", "IANA timezone name"),
    ("TUTOR_TIMEZONE", "Mars/Olympus_Mons", "default_timezone", "IANA timezone name"),
    ("TUTOR_TIMEZONE", "../etc/passwd", "default_timezone", "IANA timezone name"),
    ("TUTOR_TIMEZONE", "Europe", "default_timezone", "IANA timezone name"),
    ("TUTOR_LOG_LEVEL", "LOUD", "log_level", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("TUTOR_LOG_LEVEL", "10", "log_level", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("TUTOR_SANDBOX_PORT", "abc", "sandbox_port", "an integer"),
    ("TUTOR_SANDBOX_PORT", "80.5", "sandbox_port", "an integer"),
    ("TUTOR_SANDBOX_PORT", "65536", "sandbox_port", "a port number from 0 to 65535"),
    ("TUTOR_SANDBOX_PORT", "-1", "sandbox_port", "a port number from 0 to 65535"),
    ("TUTOR_DEV_GUILD_ID", "abc", "dev_guild_id", "an integer"),
    ("TUTOR_DEV_GUILD_ID", "0", "dev_guild_id", "a positive integer"),
    ("TUTOR_DEV_GUILD_ID", "-5", "dev_guild_id", "a positive integer"),
    ("TUTOR_SANDBOX_URL", "localhost:8060", "sandbox_url", "http:// or https:// URL"),
    ("TUTOR_SANDBOX_URL", "ftp://sandbox", "sandbox_url", "http:// or https:// URL"),
    ("TUTOR_SANDBOX_URL", "http://", "sandbox_url", "with a host"),
    ("TUTOR_SANDBOX_URL", "http://sandbox:99999", "sandbox_url", "http:// or https:// URL"),
    ("TUTOR_SANDBOX_URL", "http://sandbox:port", "sandbox_url", "http:// or https:// URL"),
    ("TUTOR_SANDBOX_HOST", "local host", "sandbox_host", "a host name or IP address"),
    ("DISCORD_API_BASE", "127.0.0.1:8765/api", "discord_api_base", "http:// or https:// URL"),
    ("DISCORD_API_BASE", "ws://127.0.0.1:8765", "discord_api_base", "http:// or https:// URL"),
    ("DISCORD_GATEWAY_URL", "http://127.0.0.1:8765", "discord_gateway_url", "ws:// or wss://"),
    ("TUTOR_RATE_PER_S", "fast", "rate_per_s", "a number of actions per second, 0 or more"),
    ("TUTOR_RATE_PER_S", "-1", "rate_per_s", "a number of actions per second, 0 or more"),
    ("TUTOR_RATE_PER_S", "inf", "rate_per_s", "a number of actions per second, 0 or more"),
    ("TUTOR_RELOAD_CHECK_S", "soon", "reload_check_s", "a number of seconds from 1 to 3600"),
    ("TUTOR_RELOAD_CHECK_S", "0", "reload_check_s", "a number of seconds from 1 to 3600"),
    ("TUTOR_RELOAD_CHECK_S", "nan", "reload_check_s", "a number of seconds from 1 to 3600"),
    ("TUTOR_RATE_BURST", "2.5", "rate_burst", "an integer"),
    ("TUTOR_RATE_BURST", "-3", "rate_burst", "a whole number of actions from 0 to 1000"),
    ("TUTOR_SHARDS", "3", "shards", "'FIRST-LAST/COUNT' or 'ID/COUNT'"),
    ("TUTOR_SHARDS", "0-3", "shards", "'FIRST-LAST/COUNT' or 'ID/COUNT'"),
    ("TUTOR_SHARDS", "all", "shards", "'FIRST-LAST/COUNT' or 'ID/COUNT'"),
    ("TUTOR_SHARDS", "-1/8", "shards", "'FIRST-LAST/COUNT' or 'ID/COUNT'"),
    ("TUTOR_SHARDS", "0-3/8/2", "shards", "'FIRST-LAST/COUNT' or 'ID/COUNT'"),
    ("TUTOR_SHARDS", "8/8", "shards", "shards are numbered 0 to 7"),
    ("TUTOR_SHARDS", "4-2/8", "shards", "shards are numbered 0 to 7, first to last"),
    ("TUTOR_SHARDS", "0-8/8", "shards", "FIRST <= LAST < COUNT"),
    ("TUTOR_SHARDS", "0/0", "shards", "a bot has at least one shard"),
]


@pytest.mark.parametrize(
    ("variable", "value", "name", "expected"), BAD_ENVIRONMENT, ids=lambda v: str(v)
)
def test_a_bad_environment_value_is_one_line_naming_setting_and_value(
    variable: str, value: str, name: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({variable: value}, NO_FILE)
    message = str(error.value)
    assert message.startswith(f"setting {name!r} must be ")
    assert expected in message and f"got {value!r}" in message
    assert "\n" not in message


BAD_FILE = [
    # (config.yaml line, setting, the value as shown, what is expected)
    ("sandbox_port: [1]", "sandbox_port", "[1]", "an integer"),
    ("sandbox_port: true", "sandbox_port", "True", "an integer"),
    ("sandbox_port: 8060.5", "sandbox_port", "8060.5", "an integer"),
    ("sandbox_port: 100000", "sandbox_port", "100000", "a port number from 0 to 65535"),
    ("dev_guild_id: -1", "dev_guild_id", "-1", "a positive integer"),
    ("db_path: 5", "db_path", "5", "a SQLite file path or a postgresql:// URL"),
    ("content_dir: [a, b]", "content_dir", "['a', 'b']", "a path (a string)"),
    ("sandbox_host: {a: 1}", "sandbox_host", "{'a': 1}", "a host name or IP address"),
    ("sandbox_url: 8060", "sandbox_url", "8060", "http:// or https:// URL"),
    ("default_timezone: 2", "default_timezone", "2", "IANA timezone name"),
    ("log_level: 20", "log_level", "20", "one of DEBUG"),
    ("discord_gateway_url: ws:/x", "discord_gateway_url", "'ws:/x'", "ws:// or wss://"),
    ("shards: 8", "shards", "8", "'FIRST-LAST/COUNT' or 'ID/COUNT'"),
]


@pytest.mark.parametrize(("line", "name", "shown", "expected"), BAD_FILE, ids=lambda v: str(v))
def test_a_bad_file_value_is_one_line_naming_key_and_value(
    tmp_path: Path, line: str, name: str, shown: str, expected: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(line + "\n")
    with pytest.raises(ConfigError) as error:
        load_settings({}, config)
    message = str(error.value)
    assert message.startswith(f"setting {name!r} must be ")
    assert expected in message and message.endswith(f"got {shown}")


def test_unset_shards_mean_every_shard_in_this_process(tmp_path: Path) -> None:
    assert load_settings({}, NO_FILE).shards == EVERY_SHARD
    config = tmp_path / "config.yaml"
    config.write_text("shards: 1/2\n")
    assert load_settings({}, config).shards == ShardRange(1, 1, 2)


def test_a_mistyped_timezone_gets_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"got 'Europe/Pari' \(did you mean 'Europe/Paris'\?\)$"):
        load_settings({"TUTOR_TIMEZONE": "Europe/Pari"}, NO_FILE)


def test_a_bad_token_is_named_but_never_shown(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("discord_token: 123456789\n")
    with pytest.raises(ConfigError) as error:
        load_settings({}, config)
    assert str(error.value) == "setting 'discord_token' must be a string, got a value of type int"


def test_bad_config_gives_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("colour: red\n")
    with pytest.raises(ConfigError, match="unknown settings: colour"):
        load_settings({}, config)
    config.write_text("1: one\ncolour: red\n")
    with pytest.raises(ConfigError, match="unknown settings: 1, colour"):
        load_settings({}, config)
    config.write_text("- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping of settings"):
        load_settings({}, config)
    config.write_text("a: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings({}, config)


def test_the_example_config_names_only_real_settings() -> None:
    example = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    assert load_settings({}, ROOT / "config.example.yaml") is not None
    assert set(example) <= set(Settings.__dataclass_fields__)


def test_the_command_line_refuses_a_bad_timezone_in_one_line(tmp_path: Path) -> None:
    done = run_bot(["console"], tmp_path / "t.sqlite3", TUTOR_TIMEZONE="Europe/Pari")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("configuration error: setting 'default_timezone' must be ")
    assert "got 'Europe/Pari'" in done.stderr
