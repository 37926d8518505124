"""Several sandbox workers: runs spread by fewest in flight, a busy or dead worker is
skipped for another, and one killed in the middle of a class loses no run."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from aiohttp import web

from bot.config import load_settings
from bot.sandbox.client import SandboxBusy, SandboxUnavailable
from bot.sandbox.result import RunResult
from bot.sandbox.workers import DOWN_FOR_S, SandboxWorkers

OK = RunResult("1\n", "", 0, False, False, False, 5.0, 4.0, 2048).to_json()


class StubWorker:
    """A worker on a free loopback port that answers /run after ``release`` is set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.served: list[str] = []
        self.busy = False
        self.release = asyncio.Event()
        self.release.set()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/run", self._run)
        app.router.add_get("/health", self._health)
        self.runner = web.AppRunner(app, handler_cancellation=True)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def kill(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()

    async def _run(self, request: web.Request) -> web.Response:
        if self.busy:
            return web.json_response({"error": "busy"}, status=503)
        await self.release.wait()
        self.served.append((await request.json())["code"])
        return web.json_response(OK)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "name": self.name})


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def workers():
    stubs = [StubWorker(name) for name in "abc"]
    for stub in stubs:
        await stub.start()
    yield stubs
    for stub in stubs:
        if stub.runner is not None:
            await stub.runner.cleanup()


async def test_runs_spread_over_the_workers_by_fewest_in_flight(workers) -> None:
    for stub in workers:
        stub.release.clear()  # every run waits: in-flight counts grow
    async with SandboxWorkers([w.url for w in workers]) as client:
        runs = [asyncio.create_task(client.run(f"print({n})")) for n in range(9)]
        await asyncio.sleep(0)  # each run picks its worker before awaiting the answer
        for stub in workers:
            stub.release.set()
        await asyncio.gather(*runs)
    assert Counter(len(w.served) for w in workers) == Counter({3: 3})


async def test_a_worker_killed_midway_loses_no_run(workers) -> None:
    ticks = Ticks()
    async with SandboxWorkers([w.url for w in workers], monotonic=ticks) as client:
        first = await asyncio.gather(*(client.run(f"print({n})") for n in range(6)))
        await workers[1].kill()
        second = await asyncio.gather(*(client.run(f"print({n})") for n in range(6, 30)))
        assert all(isinstance(r, RunResult) for r in [*first, *second])
        served = sorted(code for w in workers for code in w.served)
        assert served == sorted(f"print({n})" for n in range(30))
        assert (await client.health())["workers_up"] == 2
        ticks.now += DOWN_FOR_S + 1  # a while later the dead one is tried again, and skipped
        assert isinstance(await client.run("print('again')"), RunResult)


async def test_a_busy_worker_is_skipped_and_all_busy_says_busy(workers) -> None:
    workers[0].busy = True
    async with SandboxWorkers([w.url for w in workers]) as client:
        await asyncio.gather(*(client.run("print(1)") for _ in range(4)))
        assert workers[0].served == []
        for stub in workers:
            stub.busy = True
        with pytest.raises(SandboxBusy):
            await client.run("print(1)")


async def test_every_worker_dead_is_unavailable(workers) -> None:
    for stub in workers:
        await stub.kill()
    async with SandboxWorkers([w.url for w in workers]) as client:
        with pytest.raises(SandboxUnavailable):
            await client.run("print(1)")
        with pytest.raises(SandboxUnavailable):
            await client.health()
        for stub in workers:
            stub.runner = None


def test_the_setting_names_several_workers_separated_by_commas(tmp_path) -> None:
    settings = load_settings(
        {"TUTOR_SANDBOX_URL": "http://127.0.0.1:8061, http://127.0.0.1:8062"},
        tmp_path / "none.yaml",
    )
    assert settings.sandbox_urls == ["http://127.0.0.1:8061", "http://127.0.0.1:8062"]
    assert load_settings({}, tmp_path / "none.yaml").sandbox_urls == ["http://127.0.0.1:8060"]
