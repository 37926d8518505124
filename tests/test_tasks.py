"""The task keeper holds references, logs failures and awaits shutdown."""

from __future__ import annotations

import asyncio
import logging

from bot.core.tasks import TaskKeeper


async def test_tasks_are_kept_until_done_and_failures_are_logged(caplog) -> None:
    keeper = TaskKeeper()

    async def boom() -> None:
        raise ValueError("bad")

    task = keeper.spawn(boom(), name="boom")
    assert len(keeper) == 1
    with caplog.at_level(logging.ERROR):
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
    assert len(keeper) == 0
    assert "background task boom failed" in caplog.text


async def test_close_cancels_and_awaits_clean_up() -> None:
    keeper = TaskKeeper()
    cleaned = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)
            cleaned.append(True)

    keeper.spawn(forever(), name="forever")
    await asyncio.sleep(0)
    await keeper.close()
    assert cleaned == [True]
