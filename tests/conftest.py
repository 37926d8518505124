"""Shared fixtures: the repository's real course, loaded once; the database engines."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.curriculum import Course, load_course
from bot.storage.target import DatabaseTarget, PostgresUrl
from tests import postgres_server

ROOT = Path(__file__).resolve().parent.parent
# Authors may point the suite at a draft folder: TUTOR_CONTENT=/tmp/draft pytest ...
CONTENT = Path(os.environ.get("TUTOR_CONTENT") or ROOT / "content")

ENGINES = ("sqlite", "postgresql")
# The storage and core suites run on both engines: `pytestmark = both_engines` runs each
# test of the module that uses a database (the `database_target` fixture) on each.
both_engines = pytest.mark.both_engines


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_engines: run on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_engines") and (
        "database_target" in metafunc.fixturenames
    ):
        metafunc.parametrize("database_target", ENGINES, indirect=True)


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(CONTENT)


@pytest.fixture
def clock():
    from tests.factories import FakeClock

    return FakeClock()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """``TUTOR_TEST_PG``, or a throwaway server started for this session (lazily: only
    when a test asks for PostgreSQL)."""
    given = os.environ.get("TUTOR_TEST_PG")
    if given:
        yield given
        return
    try:
        with postgres_server.throwaway_server() as url:
            yield url
    except postgres_server.NoServer as exc:
        if postgres_server.server_expected():
            raise
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[PostgresUrl]:
    """A fresh, empty database of this test's own on the server, dropped afterwards."""
    with postgres_server.fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def database_target(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseTarget:
    """Where a test's database lives: a SQLite file unless parametrized (both_engines)."""
    engine = getattr(request, "param", "sqlite")
    if engine == "postgresql":
        url: PostgresUrl = request.getfixturevalue("postgres_url")
        return url
    return tmp_path / "tutor.sqlite3"


@pytest.fixture
async def tutor(tmp_path: Path, clock, database_target: DatabaseTarget):
    """A learning core over a fresh database and a small two-lesson course."""
    from tests.factories import open_tutor

    core = await open_tutor(tmp_path, clock, database=database_target)
    yield core
    await core.close()
