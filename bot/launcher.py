"""``make run``: the Discord bot plus a local sandbox worker, or the console without a token.

The two services run as child processes so a crash of one is visible and the other is
stopped cleanly; SIGINT/SIGTERM are forwarded and both are awaited before exiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from bot import console
from bot.config import Settings, load_settings


async def _run_services(settings: Settings) -> int:
    python = [sys.executable, "-m", "bot"]
    children: list[asyncio.subprocess.Process] = []
    if settings.sandbox_url is None:
        children.append(await asyncio.create_subprocess_exec(*python, "sandbox"))
    bot = await asyncio.create_subprocess_exec(*python, "run")
    children.append(bot)

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    waiters = {asyncio.create_task(child.wait()) for child in children}
    stop_waiter = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({*waiters, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for child in children:
            if child.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    child.terminate()
        await asyncio.gather(*waiters)
        stop_waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stop_waiter
    return bot.returncode or 0


def main(argv: list[str]) -> int:
    settings = load_settings()
    if not settings.discord_token:
        print("DISCORD_TOKEN is not set: opening the console frontend (set it to use Discord).")
        return console.main(argv)
    return asyncio.run(_run_services(settings))
