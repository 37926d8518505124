"""How the core is told the time: a ``Clock`` and a ``Sleep`` are injected, never read
from the system here (the real ones come from ``bot.ops.clock``; tests pass their own)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]  # asyncio.sleep, or a test's virtual time
