"""The real clock, which the entry points inject into the core (the core never reads it)."""

from __future__ import annotations

from datetime import UTC, datetime


def system_clock() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)
