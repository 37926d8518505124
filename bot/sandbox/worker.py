"""The sandbox service: ``POST /run``, ``POST /grade`` and ``GET /health``, JSON over HTTP.

Every error is JSON (``{"error": ...}``) so the bot can show it as it is. A client that
hangs up cancels its handler (aiohttp's ``handler_cancellation``), which kills its
snippet: nobody is left waiting for that output.
"""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, TypeVar

from aiohttp import web

from bot.sandbox.grading import GradeRequest, grade
from bot.sandbox.pool import PoolBusy, SandboxPool
from bot.sandbox.process import SandboxStartError
from bot.sandbox.request import InvalidRequest, RunRequest

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # code and stdin are 64 KiB each, even fully escaped
POOL = web.AppKey("pool", SandboxPool)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(pool: SandboxPool) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[_errors_as_json])
    app[POOL] = pool
    app.router.add_post("/run", _run)
    app.router.add_post("/grade", _grade)
    app.router.add_get("/health", _health)
    return app


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def _errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's own errors (404, 405, 413...) and unexpected exceptions answer in plain
    text; ours are JSON."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return _error(exc.status, exc.text or exc.reason, allow)
    except Exception:
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return _error(500, "internal error in the sandbox worker (logged)")


async def _json_body(request: web.Request) -> Any:
    """The request's body as JSON, or a JSON 400 (through the middleware)."""
    try:
        return json.loads(await request.read())
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise web.HTTPBadRequest(text="the body is not valid JSON: nested too deeply") from None


T = TypeVar("T")


async def _in_a_sandbox(call: Awaitable[T]) -> T | web.Response:
    """The pool's answer, or the JSON error a full pool or a failed start is."""
    try:
        return await call
    except PoolBusy as exc:
        return _error(503, str(exc), {"Retry-After": "1"})
    except SandboxStartError as exc:
        log.error("%s", exc)
        return _error(500, str(exc))


async def _run(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    payload = await _json_body(request)
    try:
        run = RunRequest.from_json(payload, pool.limits)
    except InvalidRequest as exc:
        return _error(400, str(exc))
    result = await _in_a_sandbox(pool.run(run))
    if isinstance(result, web.Response):
        return result
    log.info(
        "ran %d bytes: exit %s, %.0f ms%s%s%s",
        len(run.code),
        result.exit_code,
        result.wall_ms,
        ", timed out" if result.timed_out else "",
        ", out of memory" if result.memory_exceeded else "",
        ", output cut" if result.output_truncated else "",
    )
    return web.json_response(result.to_json())


async def _grade(request: web.Request) -> web.Response:
    """Like ``/run``, with the grader as the code (grading.py)."""
    pool = request.app[POOL]
    payload = await _json_body(request)
    try:
        grading = GradeRequest.from_json(payload, pool.limits)
    except InvalidRequest as exc:
        return _error(400, str(exc))
    result = await _in_a_sandbox(grade(pool, grading))
    if isinstance(result, web.Response):
        return result
    log.info("graded %d bytes: %s, %.0f ms", len(grading.code), result.status, result.wall_ms)
    return web.json_response(result.to_json())


async def _health(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    return web.json_response(
        {
            "ok": True,
            "python": platform.python_version(),
            "isolation": pool.isolation.describe(),
            "cgroups": pool.cgroups.version if pool.cgroups else None,
            "limits": asdict(pool.limits),
            "pool": pool.stats(),
        }
    )


class Worker:
    """The HTTP side, with an explicit lifecycle: ``start`` then ``close``."""

    def __init__(self, pool: SandboxPool) -> None:
        self.pool = pool
        self._runner = web.AppRunner(
            create_app(pool),
            handler_cancellation=True,
            shutdown_timeout=pool.limits.wall_s + 1,  # let runs in progress finish
        )
        self.url = ""

    async def start(self, host: str, port: int) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        bound_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{bound_host}:{bound_port}"

    async def close(self) -> None:
        """Stop accepting requests, let runs in progress finish (those still running
        after the longest possible run are cancelled, killing their snippets), then
        stop the pool."""
        await self._runner.cleanup()
        await self.pool.close()
