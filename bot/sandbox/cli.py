"""``python -m bot sandbox [options]`` serves the worker; ``python -m bot sandbox exec``
runs the snippet read from stdin once, with the same isolation, and prints its JSON."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import signal
import sys
from collections.abc import Callable

from bot.config import Settings, load_settings
from bot.sandbox.isolation import IsolationUnavailable
from bot.sandbox.limits import Limits
from bot.sandbox.pool import SandboxPool
from bot.sandbox.process import SandboxStartError
from bot.sandbox.request import InvalidRequest, RunRequest
from bot.sandbox.worker import Worker

log = logging.getLogger("bot.sandbox")

EXIT_NO_ISOLATION = 3


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    cpus = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        prog="python -m bot sandbox",
        description="The sandbox worker (POST /run, GET /health); or, with exec, run "
        "the snippet read from stdin once and print its result as JSON.",
    )
    parser.add_argument("--host", default=settings.sandbox_host, help="TUTOR_SANDBOX_HOST")
    parser.add_argument(
        "--port", type=_at_least(0), default=settings.sandbox_port, help="TUTOR_SANDBOX_PORT"
    )
    parser.add_argument(
        "--pool-size", type=_at_least(1), default=cpus, help="snippets at a time (CPUs)"
    )
    parser.add_argument(
        "--queue-size", type=_at_least(0), default=4 * cpus, help="requests that may wait"
    )
    parser.add_argument(
        "--prewarm", type=_at_least(0), default=cpus, help="sandboxes started ahead of time"
    )
    _add_unsafe_flag(parser, default=False)
    commands = parser.add_subparsers(dest="command")
    run_once = commands.add_parser("exec", help="run the snippet on stdin once, print JSON")
    run_once.add_argument("--timeout", type=float, help="wall-clock limit in seconds")
    run_once.add_argument("--stdin", default="", help="what the snippet's input() reads")
    _add_unsafe_flag(run_once, default=argparse.SUPPRESS)  # keeps a value given before exec
    return parser


def _at_least(minimum: int) -> Callable[[str], int]:
    def integer(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return integer


def _add_unsafe_flag(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--unsafe-dev",
        action="store_true",
        default=default,
        help="run snippets WITHOUT isolation if this machine has none (development only)",
    )


def main(argv: list[str]) -> int:
    settings = load_settings()
    args = build_parser(settings).parse_args(argv)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "exec":
            return asyncio.run(_exec(args, sys.stdin.read()))
        return asyncio.run(_serve(args))
    except IsolationUnavailable as exc:
        print(f"sandbox: refusing to start: {exc}", file=sys.stderr)
        return EXIT_NO_ISOLATION


async def _serve(args: argparse.Namespace) -> int:
    pool = await SandboxPool.open(
        Limits(),
        size=args.pool_size,
        queue_size=args.queue_size,
        prewarm=args.prewarm,
        unsafe_dev=args.unsafe_dev,
    )
    worker = Worker(pool)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await worker.start(args.host, args.port)
        except OSError as exc:
            in_use = exc.errno == errno.EADDRINUSE
            reason = "address already in use" if in_use else exc.strerror or str(exc)
            hint = ": another worker may be running (`make run` starts one); stop it or set "
            print(
                f"sandbox: cannot listen on {args.host}:{args.port}: {reason}"
                + (hint + "TUTOR_SANDBOX_PORT" if in_use else ""),
                file=sys.stderr,
            )
            return 1
        log.info("sandbox worker on %s (isolation: %s)", worker.url, pool.isolation.name)
        await stop.wait()
    finally:
        await worker.close()
    log.info("sandbox worker stopped")
    return 0


async def _exec(args: argparse.Namespace, code: str) -> int:
    limits = Limits()
    try:
        request = RunRequest.build(code, limits, args.stdin, args.timeout)
    except InvalidRequest as exc:
        print(f"sandbox exec: {exc}", file=sys.stderr)
        return 2
    pool = await SandboxPool.open(
        limits, size=1, queue_size=0, prewarm=0, unsafe_dev=args.unsafe_dev
    )
    try:
        result = await pool.run(request)
    except SandboxStartError as exc:
        print(f"sandbox exec: {exc}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
    print(json.dumps(result.to_json()))
    return 0
