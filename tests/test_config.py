"""Settings: config file, environment overrides, clear errors, the shipped example."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, Settings, load_settings
from tests.conftest import ROOT


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


def test_bad_config_gives_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("colour: red\n")
    with pytest.raises(ConfigError, match="unknown settings: colour"):
        load_settings({}, config)
    config.write_text("sandbox_port: [1]\n")
    with pytest.raises(ConfigError, match="must be an integer"):
        load_settings({}, config)
    config.write_text("a: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings({}, config)


def test_the_example_config_names_only_real_settings() -> None:
    example = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    assert load_settings({}, ROOT / "config.example.yaml") is not None
    assert set(example) <= set(Settings.__dataclass_fields__)
