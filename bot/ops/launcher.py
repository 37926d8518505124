"""``make run``: a local sandbox worker plus the Discord bot, or plus the console when
there is no token, so a newcomer can try every feature (``/run`` included) locally.

The worker runs as a child process (it isolates snippets with its own privileges); it is
terminated and awaited whichever way the frontend ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator

from bot.config import Settings, load_settings
from bot.console.app import run_console
from bot.discord.serve import run_bot
from bot.sandbox.client import SandboxClient, SandboxError

log = logging.getLogger("bot")
WORKER_STOP_TIMEOUT_S = 5.0
WORKER_START_ATTEMPTS = 50
WORKER_START_POLL_S = 0.1


@contextlib.asynccontextmanager
async def local_worker(settings: Settings, quiet: bool) -> AsyncIterator[None]:
    """Start ``python -m bot sandbox`` unless TUTOR_SANDBOX_URL names a worker elsewhere;
    ``quiet`` keeps its routine log lines out of the console's conversation."""
    if settings.sandbox_url is not None:
        yield
        return
    env = {**os.environ, "TUTOR_LOG_LEVEL": "WARNING"} if quiet else None
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", stdout=asyncio.subprocess.DEVNULL, env=env
    )
    try:
        await _wait_until_healthy(settings, worker)
        yield
    finally:
        if worker.returncode is None:
            worker.terminate()
            try:
                async with asyncio.timeout(WORKER_STOP_TIMEOUT_S):
                    await worker.wait()
            except TimeoutError:
                worker.kill()
                await worker.wait()


async def _wait_until_healthy(settings: Settings, worker: asyncio.subprocess.Process) -> None:
    """Give the worker a few seconds to listen, so the first /run does not fail."""
    async with SandboxClient(settings.effective_sandbox_url, timeout_s=1.0) as client:
        for _ in range(WORKER_START_ATTEMPTS):
            if worker.returncode is not None:
                log.warning("sandbox worker exited (%s): /run is unavailable", worker.returncode)
                return
            try:
                await client.health()
                return
            except SandboxError:
                await asyncio.sleep(WORKER_START_POLL_S)
    log.warning("sandbox worker is not answering yet; /run may fail for a moment")


async def up(settings: Settings, user: str) -> int:
    async with local_worker(settings, quiet=not settings.discord_token):
        if settings.discord_token:
            return await run_bot(settings)
        print("DISCORD_TOKEN is not set: opening the console frontend (set it to use Discord).")
        return await run_console(settings, user)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot up")
    parser.add_argument("--user", default=os.environ.get("USER") or "student")
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    try:
        return asyncio.run(up(settings, args.user))
    except KeyboardInterrupt:
        return 130
