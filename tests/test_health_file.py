"""Where the heartbeat lives (``TUTOR_HEALTH_FILE``), and ``python -m bot health``
answering from that file alone: no database opened, no database driver loaded."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.storage.target import PostgresUrl
from tests.cli import run_bot
from tests.conftest import ROOT

NO_FILE = Path("/nonexistent/config.yaml")
# Nothing listens there (port 9 is discard, refused on loopback): a health check that
# tried to connect would fail or hang, not answer from the file.
UNREACHABLE_PG = "postgresql://tutor:s3cret@127.0.0.1:9/tutor"


def test_by_default_the_heartbeat_sits_beside_the_sqlite_database() -> None:
    settings = load_settings({"TUTOR_DB": "/var/lib/tutor/tutor.sqlite3"}, NO_FILE)
    assert settings.heartbeat_file == Path("/var/lib/tutor/bot.heartbeat")
    assert load_settings({}, NO_FILE).heartbeat_file == Path("data/bot.heartbeat")


@pytest.mark.parametrize("url", [UNREACHABLE_PG, "postgres://db/tutor"])
def test_on_postgresql_the_default_is_a_local_file_in_data(url: str) -> None:
    settings = load_settings({"TUTOR_DB": url}, NO_FILE)
    assert isinstance(settings.db_path, PostgresUrl)
    assert settings.heartbeat_file == Path("data/bot.heartbeat")


@pytest.mark.parametrize("db", ["/data/tutor.sqlite3", UNREACHABLE_PG])
def test_tutor_health_file_wins_on_either_backend(db: str) -> None:
    settings = load_settings({"TUTOR_DB": db, "TUTOR_HEALTH_FILE": "/tmp/hb"}, NO_FILE)
    assert settings.heartbeat_file == Path("/tmp/hb")


def health(db: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot(["health"], Path(db), **env)


def test_health_reads_tutor_health_file_without_touching_the_database(tmp_path: Path) -> None:
    beat = tmp_path / "hb"
    missing = health(UNREACHABLE_PG, TUTOR_HEALTH_FILE=str(beat))
    assert (missing.returncode, missing.stderr) == (
        1,
        f"unhealthy: no heartbeat at {beat} (not connected yet?)\n",
    )
    beat.write_text("now\n")
    fresh = health(UNREACHABLE_PG, TUTOR_HEALTH_FILE=str(beat))
    assert fresh.returncode == 0 and fresh.stdout.startswith("healthy"), fresh.stderr
    an_hour_ago = time.time() - 3600
    os.utime(beat, (an_hour_ago, an_hour_ago))
    stale = health(str(tmp_path / "tutor.sqlite3"), TUTOR_HEALTH_FILE=str(beat))
    assert stale.returncode == 1 and stale.stderr.startswith("unhealthy: last heartbeat")
    assert not (tmp_path / "tutor.sqlite3").exists()  # nor is a SQLite file created


def test_the_health_command_loads_no_database_driver() -> None:
    probe = (
        "import sys; from bot.ops import health; "
        "print(sorted(m for m in ('sqlite3', 'aiosqlite', 'asyncpg') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout == "[]\n"
