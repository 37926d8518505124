"""Running ``python -m bot ...`` as a user would: a fresh process, a clean environment
(only PATH, the database and what a test adds), piped stdin, the repository as cwd."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run_bot(
    args: list[str], db: Path, stdin: str = "", cwd: Path = ROOT, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "TUTOR_DB": str(db), **env},
        timeout=120,
        check=False,
    )
