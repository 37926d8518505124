"""Shared fixtures: the repository's real course, loaded once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.curriculum import Course, load_course

ROOT = Path(__file__).resolve().parent.parent
# Authors may point the suite at a draft folder: TUTOR_CONTENT=/tmp/draft pytest ...
CONTENT = Path(os.environ.get("TUTOR_CONTENT") or ROOT / "content")


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(CONTENT)
