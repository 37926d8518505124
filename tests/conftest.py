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


@pytest.fixture
def clock():
    from tests.factories import FakeClock

    return FakeClock()


@pytest.fixture
async def tutor(tmp_path: Path, clock):
    """A learning core over a fresh database and a small two-lesson course."""
    from tests.factories import open_tutor

    core = await open_tutor(tmp_path, clock)
    yield core
    await core.close()
