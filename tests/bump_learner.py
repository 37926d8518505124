"""``python -m tests.bump_learner TARGET N``: N concurrent tasks each add one point to
the same learner (a process of the cross-process no-lost-update test)."""

from __future__ import annotations

import asyncio
import sys

from bot.storage import Database, learners


async def bump_all(target: str, tasks: int) -> None:
    db = await Database.open(target)
    try:

        async def bump() -> None:
            async with db.transaction() as conn:
                await learners.ensure(conn, 1, 7, "ada", 0.0)
                await learners.add_points(conn, 1, 7, 1, "2026-W10", 1.0)

        async with asyncio.TaskGroup() as group:
            for _ in range(tasks):
                group.create_task(bump())
    finally:
        await db.close()


if __name__ == "__main__":
    asyncio.run(bump_all(sys.argv[1], int(sys.argv[2])))
