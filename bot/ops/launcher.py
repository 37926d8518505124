"""``make run``: a local sandbox worker plus the Discord bot, or plus the console when
there is no token, so a newcomer can try every feature (``/run`` included) locally.

The worker runs as a child process (it isolates snippets with its own privileges); it is
terminated and waited for whichever way the frontend ends. Each frontend then runs its
own event loop: the console needs the main thread for the keyboard.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

from bot.config import Settings, load_settings
from bot.console.app import run_console
from bot.discord.serve import run_bot
from bot.sandbox.client import SandboxClient, SandboxError

log = logging.getLogger("bot")
WORKER_STOP_TIMEOUT_S = 5.0
# The worker answers within a second when the machine is idle; a loaded machine (a class
# starting everything at once, CI) can take many times that. The wait ends as soon as it
# answers, so a generous bound costs nothing when all is well.
WORKER_START_WAIT_S = 30.0
WORKER_START_POLL_S = 0.1


@contextlib.contextmanager
def local_worker(settings: Settings, quiet: bool) -> Iterator[None]:
    """Start ``python -m bot sandbox`` unless TUTOR_SANDBOX_URL names a worker elsewhere;
    ``quiet`` keeps its routine log lines out of the console's conversation."""
    if settings.sandbox_url is not None:
        yield
        return
    env = {**os.environ, "TUTOR_LOG_LEVEL": "WARNING"} if quiet else None
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox"], stdout=subprocess.DEVNULL, env=env
    )
    try:
        asyncio.run(_wait_until_healthy(settings, worker))
        yield
    finally:
        worker.terminate()
        try:
            worker.wait(WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


async def _wait_until_healthy(settings: Settings, worker: subprocess.Popen[bytes]) -> None:
    """Wait until the worker listens (or gives up), so the first /run does not fail."""
    loop = asyncio.get_running_loop()
    give_up_at = loop.time() + WORKER_START_WAIT_S
    async with SandboxClient(settings.effective_sandbox_url, timeout_s=1.0) as client:
        while loop.time() < give_up_at:
            if worker.poll() is not None:
                log.warning(
                    "the sandbox worker exited (%s): running code is unavailable; "
                    "its message is above",
                    worker.returncode,
                )
                return
            try:
                await client.health()
                return
            except SandboxError:
                await asyncio.sleep(WORKER_START_POLL_S)
    log.warning("sandbox worker is not answering yet; /run may fail for a moment")


def up(settings: Settings, user: str) -> int:
    with local_worker(settings, quiet=not settings.discord_token):
        if settings.discord_token:
            return asyncio.run(run_bot(settings))
        print("DISCORD_TOKEN is not set: opening the console frontend (set it to use Discord).")
        return run_console(settings, user)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot up")
    parser.add_argument("--user", default=os.environ.get("USER") or "teacher")
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    try:
        return up(settings, args.user)
    except KeyboardInterrupt:
        return 130
