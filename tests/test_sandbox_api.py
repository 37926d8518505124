"""The sandbox worker's HTTP contract (ARCHITECTURE.md, "Sandbox API")."""

from __future__ import annotations

import asyncio
import json
import platform
import sys
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.limits import Limits
from tests.sandbox_helpers import Sandbox, processes_with, running_sandbox, wait_until

RESULT_TYPES = {
    "stdout": str,
    "stderr": str,
    "exit_code": int,
    "timed_out": bool,
    "memory_exceeded": bool,
    "output_truncated": bool,
    "wall_ms": float,
    "cpu_ms": float,
    "peak_memory_kb": int,
}


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox() as running:
        yield running


async def test_health_says_ok_and_how_snippets_are_confined(sandbox: Sandbox) -> None:
    async with sandbox.session.get(f"{sandbox.url}/health") as response:
        assert response.status == 200
        health = await response.json()
    assert health["ok"] is True
    assert health["isolation"]["name"] == "bubblewrap"
    assert health["isolation"]["seccomp"] is True
    assert health["limits"]["wall_s"] == 5.0
    assert health["limits"]["memory_bytes"] == 128 * 1024 * 1024


async def test_a_run_answers_every_documented_field_with_its_type(sandbox: Sandbox) -> None:
    result = await sandbox.run("print('hello')")
    assert set(result) == set(RESULT_TYPES)
    for field, kind in RESULT_TYPES.items():
        assert isinstance(result[field], kind), field
    assert result["stdout"] == "hello\n"
    assert result["stderr"] == ""
    assert result["exit_code"] == 0
    assert not result["timed_out"] and not result["memory_exceeded"]
    assert not result["output_truncated"]
    assert result["peak_memory_kb"] > 0


async def test_the_snippet_runs_on_the_bots_python_version(sandbox: Sandbox) -> None:
    result = await sandbox.run("import platform; print(platform.python_version())")
    assert result["stdout"].strip() == platform.python_version()


async def test_input_reads_the_requests_stdin(sandbox: Sandbox) -> None:
    result = await sandbox.run("name = input(); print(f'hi {name}'); input()", stdin="Ada\n")
    assert result["stdout"] == "hi Ada\n"
    assert "EOFError" in result["stderr"]  # stdin ends where the request's ends


async def test_asyncio_works_inside_a_snippet(sandbox: Sandbox) -> None:
    code = """
import asyncio

async def worker(n):
    await asyncio.sleep(0.05)
    return n * 2

async def main():
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(worker(n)) for n in range(3)]
    print([t.result() for t in tasks])
    server = await asyncio.start_server(echo, "localhost", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("localhost", port)
    writer.write(b"ping")
    print(await reader.read(4))
    writer.close()
    server.close()

async def echo(reader, writer):
    writer.write(await reader.read(4))
    await writer.drain()
    writer.close()

if __name__ == "__main__":
    asyncio.run(main())
"""
    result = await sandbox.run(code)
    assert result["stdout"] == "[0, 2, 4]\nb'ping'\n", result["stderr"]
    assert result["wall_ms"] >= 50


async def test_cpu_time_tells_blocking_from_waiting(sandbox: Sandbox) -> None:
    waiting = await sandbox.run("import time; time.sleep(0.3)")
    spinning = await sandbox.run(  # spins until it has used 300 ms of CPU, however long
        "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    )
    assert waiting["wall_ms"] >= 300 and spinning["wall_ms"] >= 300
    assert waiting["cpu_ms"] < 50
    assert spinning["cpu_ms"] >= 250  # the 300 ms less the start-up it had already used


async def test_peak_memory_reports_what_the_snippet_allocated(sandbox: Sandbox) -> None:
    small = await sandbox.run("pass")
    big = await sandbox.run("x = bytearray(50 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])")
    assert small["peak_memory_kb"] < 30 * 1024
    assert big["peak_memory_kb"] - small["peak_memory_kb"] > 45 * 1024


async def test_a_traceback_shows_the_snippets_own_lines(sandbox: Sandbox) -> None:
    result = await sandbox.run("x = 1\nprint(x / 0)\n")
    assert result["exit_code"] == 1
    assert 'File "<snippet>", line 2, in <module>' in result["stderr"]
    assert "print(x / 0)" in result["stderr"]
    assert "runner" not in result["stderr"]


async def test_exit_and_sys_exit_set_the_exit_code(sandbox: Sandbox) -> None:
    assert (await sandbox.run("exit(3)"))["exit_code"] == 3
    assert (await sandbox.run("import sys; sys.exit('bye')"))["stderr"] == "bye\n"


async def test_a_snippet_ends_as_a_python_program_would(sandbox: Sandbox) -> None:
    code = """
import asyncio, atexit, threading, time

async def main():
    pass

forgotten = main()
atexit.register(print, "atexit")
threading.Thread(target=lambda: (time.sleep(0.1), print("thread"))).start()
print("main")
"""
    result = await sandbox.run(code)
    assert result["stdout"] == "main\nthread\natexit\n"
    assert "sys:1: RuntimeWarning: coroutine 'main' was never awaited" in result["stderr"]
    assert result["exit_code"] == 0


async def test_timeout_s_can_lower_the_wall_clock_limit() -> None:
    async with running_sandbox(Limits(wall_s=3600)) as sandbox:
        # Without the lower limit this would run for the worker's hour: the guard turns
        # that into a failure; it is no measure of how long the run takes.
        async with asyncio.timeout(60):
            result = await sandbox.run("import time; time.sleep(3600)", timeout_s=0.3)
    assert result["timed_out"] is True
    assert result["exit_code"] is None
    assert result["wall_ms"] >= 300


async def test_timeout_s_cannot_raise_it() -> None:
    async with running_sandbox(Limits(wall_s=0.5)) as sandbox:
        result = await sandbox.run("import time; time.sleep(10)", timeout_s=60)
    assert result["timed_out"] is True  # with the limit raised it would have ended at 10 s
    assert result["wall_ms"] >= 500


async def test_output_is_capped_per_stream_and_flagged() -> None:
    async with running_sandbox(Limits(output_bytes=1000)) as sandbox:
        result = await sandbox.run(
            "import sys; print('o' * 5000); print('e' * 10, file=sys.stderr)"
        )
    assert result["stdout"] == "o" * 1000
    assert result["stderr"] == "e" * 10 + "\n"
    assert result["output_truncated"] is True
    assert result["exit_code"] == 0  # the snippet was not stopped for it


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"{}", "missing field 'code'"),
        (b'{"code": 1}', "'code' must be a string"),
        (b'{"code": null}', "'code' must be a string"),
        (b'{"code": "print(1)", "stdin": ["a"]}', "'stdin' must be a string"),
        (b'{"code": "print(1)", "timeout_s": "5"}', "'timeout_s' must be a number"),
        (b'{"code": "print(1)", "timeout_s": true}', "'timeout_s' must be a number"),
        (b'{"code": "print(1)", "timeout_s": -1}', "positive number"),
        (b'{"code": "print(1)", "timeout": 1}', "unknown field(s): timeout"),
        (b'{"code": "\\ud800"}', "not valid Unicode"),
        (b'{"code": "print(1)", "timeout_s": 1e400}', "positive number"),  # inf
        (b"[" * 100_000, "nested too deeply"),
    ],
)
async def test_a_bad_request_gets_400_with_a_json_error(
    sandbox: Sandbox, body: bytes, message: str
) -> None:
    status, answer = await sandbox.post(data=body)
    assert status == 400
    assert message in answer["error"]
    await sandbox.assert_still_serving()


async def test_a_timeout_of_400_digits_is_capped_like_any_other(sandbox: Sandbox) -> None:
    status, result = await sandbox.post(
        data=b'{"code": "print(1)", "timeout_s": 1' + b"0" * 400 + b"}"
    )
    assert status == 200
    assert result["stdout"] == "1\n"


@pytest.mark.parametrize("path", ["/run", "/grade"])
async def test_a_body_nested_100_000_deep_gets_400_on_every_endpoint(
    sandbox: Sandbox, path: str
) -> None:
    async with sandbox.session.post(f"{sandbox.url}{path}", data=b"[" * 100_000) as response:
        assert response.status == 400
        assert "nested too deeply" in (await response.json())["error"]


async def test_code_over_the_size_limit_is_refused(sandbox: Sandbox) -> None:
    status, answer = await sandbox.post({"code": "#" * (64 * 1024 + 1)})
    assert status == 400
    assert "the limit is 65536" in answer["error"]


async def test_a_10_mb_body_gets_413_with_a_json_error(sandbox: Sandbox) -> None:
    status, answer = await sandbox.post(data=json.dumps({"code": "#" * 10_000_000}).encode())
    assert status == 413
    assert "body size" in answer["error"]
    await sandbox.assert_still_serving()


async def test_unknown_paths_and_methods_answer_json_errors(sandbox: Sandbox) -> None:
    async with sandbox.session.get(f"{sandbox.url}/nope") as response:
        assert response.status == 404
        assert "error" in await response.json()
    async with sandbox.session.get(f"{sandbox.url}/run") as response:
        assert response.status == 405
        assert response.headers["Allow"] == "POST"
        assert "error" in await response.json()


async def test_a_full_queue_answers_503_with_a_clear_message() -> None:
    # The one slot is held until the test lets it go (its client hangs up, which kills
    # the snippet), not for some time that a busy machine could outlast.
    async with running_sandbox(Limits(wall_s=600), size=1, queue_size=1, prewarm=0) as sandbox:
        pool = sandbox.worker.pool
        held = "import subprocess; subprocess.run(['sleep', '4242.0029'])"
        holding = asyncio.create_task(sandbox.post({"code": held}))
        await wait_until(lambda: pool.stats()["running"] == 1)
        queued = asyncio.create_task(sandbox.post({"code": "print('queued')"}))
        await wait_until(lambda: pool.stats()["waiting"] == 1)
        status, answer = await sandbox.post({"code": "print('refused')"})
        assert status == 503
        assert "busy" in answer["error"]
        holding.cancel()
        await asyncio.gather(holding, return_exceptions=True)
        status, result = await queued  # the queued request runs once the slot is free
        assert status == 200 and result["stdout"] == "queued\n"
        await sandbox.assert_still_serving()


async def test_a_client_that_hangs_up_kills_its_snippet(sandbox: Sandbox) -> None:
    marker = "4242.0017"
    code = f"import subprocess; subprocess.run(['sleep', '{marker}'])"
    request = asyncio.create_task(sandbox.post({"code": code}))
    await wait_until(lambda: bool(processes_with(marker)))
    request.cancel()
    await wait_until(lambda: not processes_with(marker))
    await wait_until(lambda: sandbox.worker.pool.stats()["running"] == 0)
    await sandbox.assert_still_serving()


async def test_exec_runs_one_snippet_from_stdin_and_prints_the_same_json() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "exec", "--stdin", "Ada",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(b"print('hi', input())")
    assert process.returncode == 0, err
    result = json.loads(out)
    assert set(result) == set(RESULT_TYPES)
    assert result["stdout"] == "hi Ada\n"
