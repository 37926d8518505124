"""The client the bot uses: typed results, and one exception family for every failure."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from bot.sandbox.client import (
    DEFAULT_TIMEOUT_S,
    SandboxBusy,
    SandboxClient,
    SandboxError,
    SandboxRejected,
    SandboxUnavailable,
)
from bot.sandbox.limits import Limits
from bot.sandbox.result import CheckResult, GradeResult, RunResult
from tests.sandbox_helpers import Sandbox, running_sandbox

StubHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox() as running:
        yield running


async def stub_worker(handler: StubHandler) -> tuple[web.AppRunner, str]:
    """A fake worker answering every path with ``handler``."""
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", handler)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def run_against(handler: StubHandler, timeout_s: float = DEFAULT_TIMEOUT_S) -> RunResult:
    runner, url = await stub_worker(handler)
    try:
        async with SandboxClient(url, timeout_s=timeout_s) as client:
            return await client.run("print(1)")
    finally:
        await runner.cleanup()


async def test_run_returns_a_frozen_run_result(sandbox: Sandbox) -> None:
    async with SandboxClient(sandbox.url) as client:
        result = await client.run("print(input() * 2)", stdin="ab")
    assert isinstance(result, RunResult)
    assert result.stdout == "abab\n"
    assert result.ok and result.exit_code == 0
    assert not result.timed_out and not result.memory_exceeded
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.stdout = "changed"  # type: ignore[misc]


async def test_timeout_s_reaches_the_worker() -> None:
    # The worker would let the snippet finish its 20 s: only the request's 0.2 s stops it.
    async with running_sandbox(Limits(wall_s=60)) as sandbox:
        async with SandboxClient(sandbox.url) as client:
            result = await client.run("import time; time.sleep(20)", timeout_s=0.2)
    assert result.timed_out and result.exit_code is None and not result.ok


async def test_health_returns_the_workers_description(sandbox: Sandbox) -> None:
    async with SandboxClient(sandbox.url) as client:
        health = await client.health()
    assert health["ok"] is True


async def test_a_worker_that_is_down_raises_sandbox_unavailable() -> None:
    with socket.socket() as taken:  # bound, never listening: connections are refused
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        async with SandboxClient(f"http://127.0.0.1:{port}") as client:
            with pytest.raises(SandboxUnavailable, match="not answering"):
                await client.run("print(1)")
            with pytest.raises(SandboxUnavailable):
                await client.health()


async def test_a_refused_request_raises_sandbox_rejected_with_the_workers_reason(
    sandbox: Sandbox,
) -> None:
    async with SandboxClient(sandbox.url) as client:
        with pytest.raises(SandboxRejected, match="the limit is 65536"):
            await client.run("#" * 70_000)


async def test_a_full_worker_raises_sandbox_busy() -> None:
    async def busy(request: web.Request) -> web.Response:
        return web.json_response({"error": "the sandbox is busy"}, status=503)

    with pytest.raises(SandboxBusy, match="busy"):
        await run_against(busy)


async def test_a_worker_error_raises_sandbox_unavailable() -> None:
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    with pytest.raises(SandboxUnavailable, match="HTTP 500"):
        await run_against(broken)


async def test_an_odd_answer_raises_sandbox_unavailable() -> None:
    async def odd(request: web.Request) -> web.Response:
        return web.json_response({"stdout": 1})

    with pytest.raises(SandboxUnavailable, match="answered oddly"):
        await run_against(odd)


async def test_a_worker_too_slow_to_answer_raises_sandbox_unavailable() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.Event().wait()  # never answers; cancelled when the client hangs up
        return web.json_response({})

    with pytest.raises(SandboxUnavailable, match="not answering"):
        await run_against(slow, timeout_s=0.2)


def test_every_failure_is_a_sandbox_error() -> None:
    for error in (SandboxUnavailable, SandboxBusy, SandboxRejected):
        assert issubclass(error, SandboxError)


async def test_the_client_is_used_in_async_with() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        await SandboxClient("http://127.0.0.1:1").run("print(1)")


async def test_grade_posts_code_and_checks_and_returns_a_typed_grade() -> None:
    graded = GradeResult(
        "fail", "", (CheckResult("runs_concurrently", "fail", "3 in flight, wanted 1", ""),), 8.5
    )
    received: list[dict] = []

    async def grader(request: web.Request) -> web.Response:
        assert request.path == "/grade"
        received.append(await request.json())
        return web.json_response(graded.to_json())

    runner, url = await stub_worker(grader)
    try:
        async with SandboxClient(url) as client:
            assert await client.grade("code", "checks", timeout_s=2) == graded
    finally:
        await runner.cleanup()
    assert received == [{"code": "code", "checks": "checks", "timeout_s": 2}]


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "pass", "message": "", "wall_ms": 1.0},  # no tests
        {"status": "pass", "message": "", "wall_ms": 1.0, "tests": [{"name": "x"}]},
        {"status": 1, "message": "", "wall_ms": 1.0, "tests": []},
    ],
)
async def test_an_odd_grade_raises_sandbox_unavailable(answer) -> None:
    async def odd(request: web.Request) -> web.Response:
        return web.json_response(answer)

    runner, url = await stub_worker(odd)
    try:
        async with SandboxClient(url) as client:
            with pytest.raises(SandboxUnavailable, match="answered oddly"):
                await client.grade("code", "checks")
    finally:
        await runner.cleanup()
