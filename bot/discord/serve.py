"""``python -m bot run``: connect to Discord (or the endpoints named in the config).

Opens the core once, runs the bot until SIGINT/SIGTERM, then closes everything in
reverse order and exits 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import aiohttp
import discord
import yarl

from bot.config import Settings, load_settings
from bot.core.lease import LeaseHeld
from bot.core.tutor import StartupError, Tutor
from bot.discord.client import TutorBot
from bot.ops.clock import system_clock

log = logging.getLogger("bot")
SHARD_REFUSALS = {
    4010: ": an invalid shard; check TUTOR_SHARDS",
    4011: ": the bot's servers need more shards than TUTOR_SHARDS counts; raise its count",
}


def point_discord_py_at(settings: Settings) -> None:
    """Honour DISCORD_API_BASE / DISCORD_GATEWAY_URL (a local stand-in in tests)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def _serve(bot: TutorBot, token: str, lease_lost: asyncio.Event) -> None:
    """Run until disconnected, until SIGINT/SIGTERM asks for a graceful stop, or until
    another process took the database lease over (then this one must stop serving)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        connection = asyncio.create_task(bot.start(token), name="discord")
        stopping = asyncio.create_task(stop.wait(), name="wait-for-signal")
        lost = asyncio.create_task(lease_lost.wait(), name="wait-for-lease-loss")
        await asyncio.wait({connection, stopping, lost}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            log.info("signal received: shutting down")
        if not connection.done():
            await bot.close()
        stopping.cancel()
        lost.cancel()
        await connection


async def run_bot(settings: Settings) -> int:
    if not settings.discord_token:
        print("DISCORD_TOKEN is not set; see README (Deploy).", file=sys.stderr)
        return 2
    point_discord_py_at(settings)
    try:
        async with Tutor.from_settings(settings, system_clock) as tutor:
            lease = await tutor.take_lease(settings.shards)
            await _serve(TutorBot(settings, tutor), settings.discord_token, lease.lost)
            if lease.lost.is_set():
                return 1
    except (StartupError, LeaseHeld) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    except discord.LoginFailure as exc:
        print(f"Discord refused the token: {exc}", file=sys.stderr)
        return 1
    except discord.ConnectionClosed as exc:
        # Only closes discord.py does not reconnect after reach here (4010-4013).
        why = SHARD_REFUSALS.get(exc.code, "")
        print(f"Discord closed the gateway connection (code {exc.code}){why}", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, OSError) as exc:
        # Before the first connection; once connected, discord.py reconnects by itself.
        print(f"cannot reach Discord at {discord.http.Route.BASE}: {exc}", file=sys.stderr)
        return 1
    log.info("stopped cleanly")
    return 0


def main(argv: list[str]) -> int:
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    return asyncio.run(run_bot(settings))
