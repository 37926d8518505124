"""`python -m bot db backup PATH` copies the live database consistently."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.core.context import Learner
from tests.conftest import ROOT


def run_backup(db: Path, target: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "db", "backup", str(target)],
        cwd=ROOT,
        env={"TUTOR_DB": str(db), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_backup_while_the_bot_has_the_database_open_and_restore(tutor, tmp_path) -> None:
    who = Learner(1, 7, "ada")
    shown = tutor.quiz.shown("alpha-q0", "01", 0)
    await tutor.quiz.answer(who, shown, 0)  # the core keeps its connection open
    done = run_backup(tutor.ctx.db.path, tmp_path / "backups" / "monday.sqlite3")
    assert done.returncode == 0, done.stderr
    assert "backed up" in done.stdout

    # Restore = copy the backup into place; it holds everything written before it.
    restored = sqlite3.connect(tmp_path / "backups" / "monday.sqlite3")
    assert restored.execute("SELECT points FROM learners WHERE user_id = 7").fetchone()[0] > 0
    assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_backup_refuses_to_overwrite_and_needs_a_database(tmp_path) -> None:
    existing = tmp_path / "old.sqlite3"
    existing.write_text("keep me")
    missing = run_backup(tmp_path / "nope.sqlite3", tmp_path / "b.sqlite3")
    assert missing.returncode == 1 and "no database to back up" in missing.stderr
    sqlite3.connect(tmp_path / "real.sqlite3").close()
    clash = run_backup(tmp_path / "real.sqlite3", existing)
    assert clash.returncode == 1 and "already exists" in clash.stderr
    assert existing.read_text() == "keep me"
