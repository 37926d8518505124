"""pytest fixtures for the stand-in.

Make them available in tests/conftest.py with
`from tests.fake_discord.fixtures import fake_discord  # noqa: F401` (or, in a single
test module, import it and list it in `__all__`, as tests/test_fake_discord.py does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .server import FakeDiscord, point_discord_py_at


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py pointed at it.

    Clients started with `fake_discord.start_client(bot)` are stopped at teardown.
    """
    async with FakeDiscord() as fake:
        with point_discord_py_at(fake):
            yield fake
