"""Liveness of the Discord bot for container health checks.

The running bot touches a heartbeat file next to its database while it is connected and
its database takes writes; ``python -m bot health`` succeeds when that file is recent. No
network call is needed, so a health check can never hit Discord's rate limits. Processes
on shard ranges (``TUTOR_SHARDS``) sharing a data folder each have their own file, so one
live process cannot hide a dead one; ``health`` reads the one of its own setting.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings, load_settings

if TYPE_CHECKING:  # the health command itself stays light: no core imported
    from bot.core.tutor import Tutor

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 30.0
STALE_AFTER_S = 3 * HEARTBEAT_EVERY_S


def heartbeat_path(settings: Settings) -> Path:
    """In the data folder: ``bot.heartbeat``, or one per shard range."""
    shards = settings.shards
    if shards.every_shard:
        return settings.data_folder / "bot.heartbeat"
    return (
        settings.data_folder
        / f"bot.shards-{shards.first}-{shards.last}-of-{shards.count}.heartbeat"
    )


def touch(path: Path) -> None:
    path.write_text(f"{time.time():.0f}\n")


async def beat(tutor: Tutor, path: Path) -> bool:
    """One heartbeat: a committed database write, then the file. A failure of either is
    logged and skipped (the beat after may succeed); while it lasts, the file goes stale
    and ``health`` reports unhealthy."""
    try:
        await tutor.prove_writable()
        await asyncio.to_thread(touch, path)
    except (sqlite3.Error, OSError) as exc:
        log.warning("heartbeat skipped: %s", exc)
        return False
    return True


def main(argv: list[str]) -> int:
    path = heartbeat_path(load_settings())
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print(f"unhealthy: no heartbeat at {path} (not connected yet?)", file=sys.stderr)
        return 1
    if age > STALE_AFTER_S:
        print(f"unhealthy: last heartbeat {age:.0f} s ago", file=sys.stderr)
        return 1
    print(f"healthy: heartbeat {age:.0f} s ago")
    return 0
