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
    import random

    from fsrs import Scheduler

    from bot.core.tutor import Tutor
    from tests.factories import make_course

    core = await Tutor.open(
        tmp_path / "tutor.sqlite3",
        make_course(),
        clock,
        rng=random.Random(1),
        scheduler=Scheduler(enable_fuzzing=False),
    )
    yield core
    await core.close()
