"""``python -m bot health``: is the running bot connected? For container health checks.

The running bot touches a heartbeat file (``TUTOR_HEALTH_FILE``; by default beside a
SQLite database) while it is connected and its database takes writes (bot/ops/heartbeat.py);
this command succeeds when that file is recent (processes on shard ranges each have
their own file; it reads the one of its own settings). It reads the settings and the file's age,
nothing more: no network call, so a health check can never hit Discord's rate limits, and
no database connection, so it answers the same on SQLite and on a PostgreSQL server.
"""

from __future__ import annotations

import sys
import time

from bot.config import load_settings

HEARTBEAT_EVERY_S = 30.0
STALE_AFTER_S = 3 * HEARTBEAT_EVERY_S


def main(argv: list[str]) -> int:
    path = load_settings().heartbeat_file
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
