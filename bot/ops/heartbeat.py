"""The running bot's heartbeat: a committed database write, then the file touched.

``python -m bot health`` (bot/ops/health.py) reads the file's age; the file is touched
only after the write, so a database that stops taking writes shows as unhealthy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.storage import DatabaseError

if TYPE_CHECKING:
    from bot.core.tutor import Tutor

log = logging.getLogger(__name__)


def touch(path: Path) -> None:
    path.write_text(f"{time.time():.0f}\n")


async def beat(tutor: Tutor, path: Path) -> bool:
    """One heartbeat. A failure of either step is logged and skipped (the beat after may
    succeed), never raised: the heartbeat task outlives a database that refuses writes
    for a while, and meanwhile the file goes stale and ``health`` reports unhealthy."""
    try:
        await tutor.prove_writable()
        await asyncio.to_thread(touch, path)
    except (DatabaseError, OSError) as exc:
        log.warning("heartbeat skipped: %s", exc)
        return False
    return True
