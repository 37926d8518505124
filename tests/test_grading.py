"""POST /grade: the verdict comes from the grader, never from the student's code.

Every forgery below is built on a *sequential* ``fetch_pages``, which honestly fails
the concurrency check; if a trick reached the verdict, the grading would pass.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import AsyncIterator

import pytest

from bot.curriculum import load_course
from bot.sandbox.client import SandboxClient
from bot.sandbox.limits import Limits
from bot.sandbox.result import CheckResult, GradeResult
from tests.conftest import CONTENT
from tests.sandbox_helpers import Sandbox, running_sandbox

EXERCISE = load_course(CONTENT).exercise("fetch-pages-concurrently")
assert EXERCISE is not None
CHECKS = EXERCISE.checks
SEQUENTIAL = """
async def fetch_pages(fetch, urls):
    return [await fetch(url) for url in urls]
"""
FAKE_VERDICT = (
    '{"status": "pass", "message": "all good", "tests": [{"name": "downloads_at_once", '
    '"status": "pass", "message": "", "output": ""}], "wall_ms": 1.0}'
)
ROOMY = Limits(wall_s=60)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(ROOMY) as running:
        yield running


async def post_grade(sandbox: Sandbox, payload: object) -> tuple[int, object]:
    async with sandbox.session.post(f"{sandbox.url}/grade", json=payload) as response:
        return response.status, await response.json()


async def graded(sandbox: Sandbox, code: str, checks: str = CHECKS) -> GradeResult:
    status, body = await post_grade(sandbox, {"code": textwrap.dedent(code), "checks": checks})
    assert status == 200, body
    return GradeResult.from_json(body)


async def test_a_correct_solution_passes_every_check(sandbox: Sandbox) -> None:
    result = await graded(sandbox, EXERCISE.solution)
    assert result.status == "pass"
    assert [t.name for t in result.tests] == ["returns_pages_in_order", "downloads_at_once"]
    assert all(t.status == "pass" for t in result.tests)


async def test_a_sequential_solution_fails_the_concurrency_check(sandbox: Sandbox) -> None:
    result = await graded(sandbox, SEQUENTIAL)
    assert result.status == "fail"
    by_name = {t.name: t for t in result.tests}
    assert by_name["returns_pages_in_order"].status == "pass"
    assert by_name["downloads_at_once"] == CheckResult(
        "downloads_at_once", "fail", "at most 1 of the 4 downloads ran at the same time", ""
    )


async def test_what_the_code_prints_is_the_output_of_each_check(sandbox: Sandbox) -> None:
    code = SEQUENTIAL.replace("return", "print('fetching', len(urls))\n    return")
    result = await graded(sandbox, code)
    assert [t.output for t in result.tests] == ["fetching 3\n", "fetching 4\n"]


async def test_a_syntax_error_is_an_error_pointing_at_the_students_line(sandbox: Sandbox) -> None:
    result = await graded(
        sandbox, "import asyncio\n\nasync def fetch_pages(fetch, urls:\n    pass\n"
    )
    assert result.status == "error"
    assert result.tests == ()
    assert 'File "solution.py", line 3' in result.message
    assert "SyntaxError" in result.message


async def test_an_exception_at_import_is_an_error_with_the_students_lines_only(
    sandbox: Sandbox,
) -> None:
    result = await graded(sandbox, "def helper():\n    return 1 / 0\n\nhelper()\n")
    assert result.status == "error"
    assert 'File "solution.py", line 4, in <module>' in result.message
    assert 'File "solution.py", line 2, in helper' in result.message
    assert "ZeroDivisionError: division by zero" in result.message
    assert "grader" not in result.message and "check_kit" not in result.message


async def test_an_exception_in_a_check_fails_it_with_the_students_lines_only(
    sandbox: Sandbox,
) -> None:
    code = """
    async def fetch_pages(fetch, urls):
        pages = [await fetch(url) for url in urls]
        raise ValueError(f"got {len(pages)}")
    """
    result = await graded(sandbox, code)
    assert result.status == "fail"
    message = result.tests[0].message
    assert message.startswith("Traceback (your code):\n")
    assert 'File "solution.py", line 4, in fetch_pages' in message
    assert message.endswith("ValueError: got 3\n")
    assert "grader" not in message and "check_kit" not in message and "checks.py" not in message


async def test_an_endless_loop_fails_its_check_and_the_others_still_run(sandbox: Sandbox) -> None:
    code = """
    async def fetch_pages(fetch, urls):
        if len(urls) == 3:
            while True:
                pass
        return [await fetch(url) for url in urls]
    """
    payload = {"code": textwrap.dedent(code), "checks": CHECKS, "timeout_s": 10}
    status, body = await post_grade(sandbox, payload)
    assert status == 200, body
    result = GradeResult.from_json(body)
    assert result.status == "fail"
    assert "did not finish in time" in result.tests[0].message
    assert result.tests[1].message == "at most 1 of the 4 downloads ran at the same time"


async def test_code_that_waits_forever_fails_in_loop_time_at_once(sandbox: Sandbox) -> None:
    code = """
    import asyncio
    async def fetch_pages(fetch, urls):
        await asyncio.Event().wait()
    """
    result = await graded(sandbox, code)
    assert {t.status for t in result.tests} == {"fail"}
    assert "still waiting after 3600 s of loop time" in result.tests[0].message


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"code": "x = 1"}, "missing field 'checks'"),
        ({"checks": CHECKS}, "missing field 'code'"),
        ({"code": "x = 1", "checks": 3}, "'checks' must be a string, got int"),
        ({"code": "x = 1", "checks": CHECKS, "stdin": ""}, "unknown field(s): stdin"),
        ({"code": "x = 1", "checks": "x" * 40_000}, "'checks' is over 32768 bytes"),
    ],
)
async def test_a_malformed_grade_request_is_refused(
    sandbox: Sandbox, payload: dict[str, object], error: str
) -> None:
    status, body = await post_grade(sandbox, payload)
    assert status == 400
    assert isinstance(body, dict) and error in body["error"]


FORGERIES = {
    "prints a fake verdict": f"""
        print({FAKE_VERDICT!r})
        async def fetch_pages(fetch, urls):
            print({FAKE_VERDICT!r})
            return [await fetch(url) for url in urls]
        """,
    "writes a fake verdict to every inherited descriptor": f"""
        import os
        def forge():
            for fd in range(1024):
                try:
                    os.write(fd, b{FAKE_VERDICT!r} + b"\\n")
                except OSError:
                    pass
        forge()
        async def fetch_pages(fetch, urls):
            forge()
            return [await fetch(url) for url in urls]
        """,
    "writes to the grader's stdout through /proc": f"""
        import os
        for pid in ("1", str(os.getppid())):
            try:
                with open(f"/proc/{{pid}}/fd/1", "w") as out:
                    out.write({FAKE_VERDICT!r})
            except OSError:
                pass
        async def fetch_pages(fetch, urls):
            return [await fetch(url) for url in urls]
        """,
    "sys.exit(0) at import": "import sys\nsys.exit(0)\n",
    "os._exit(0) at import": "import os\nos._exit(0)\n",
    "sys.exit(0) inside a check": """
        import sys
        async def fetch_pages(fetch, urls):
            sys.exit(0)
        """,
    "os._exit(0) inside a check": """
        import os
        async def fetch_pages(fetch, urls):
            [await fetch(url) for url in urls]
            os._exit(0)
        """,
    "monkeypatches the fake service to report nothing and answer at once": """
        import check_kit
        check_kit.report = lambda kind, **values: None
        async def fetch_pages(fetch, urls):
            return [f"web:{url}" for url in urls]
        """,
    "monkeypatches the check helpers' judging in its own process": """
        import sys, check_kit
        check_kit.Kit.run_scenario = lambda self, scenario, solution: check_kit.report(
            "result", value=None, t=1.0)
        async def fetch_pages(fetch, urls):
            return [await fetch(url) for url in urls]
        """,
    "raises KeyboardInterrupt": """
        async def fetch_pages(fetch, urls):
            raise KeyboardInterrupt
        """,
    "raises a BaseException subclass of its own": """
        class Escape(BaseException):
            pass
        async def fetch_pages(fetch, urls):
            raise Escape("pass")
        """,
    "raises SystemExit with a fake verdict": f"""
        async def fetch_pages(fetch, urls):
            raise SystemExit({FAKE_VERDICT!r})
        """,
    "deletes the checks": """
        import sys, check_kit
        check_kit.scenarios = lambda source: {}
        for name in list(sys.modules):
            if name in ("checks", "check_kit"):
                del sys.modules[name]
        async def fetch_pages(fetch, urls):
            return [await fetch(url) for url in urls]
        """,
    "returns an object equal to everything": """
        class Anything:
            def __eq__(self, other):
                return True
        async def fetch_pages(fetch, urls):
            return Anything()
        """,
    "returns a list subclass equal to everything": """
        class Anything(list):
            def __eq__(self, other):
                return True
        async def fetch_pages(fetch, urls):
            return Anything([await fetch(url) for url in urls])
        """,
    "walks gc to disable the grader's checks": """
        import gc
        def disarm():
            for thing in gc.get_objects():
                if isinstance(thing, dict) and "_CHECKS" in thing:
                    for check in thing["_CHECKS"]:
                        check.judge = lambda result, log: None
                    thing["_test"] = lambda check, status, message, seen=None: {
                        "name": check.name, "status": "pass", "message": "", "output": ""}
        disarm()
        async def fetch_pages(fetch, urls):
            disarm()
            return [await fetch(url) for url in urls]
        """,
    "walks stack frames to the grader": """
        import sys
        async def fetch_pages(fetch, urls):
            frame = sys._getframe()
            while frame is not None:
                frame.f_globals.get("_CHECKS", []).clear()
                if "seen" in frame.f_locals:
                    frame.f_locals["seen"].lines.clear()
                frame = frame.f_back
            return [await fetch(url) for url in urls]
        """,
    "reads the grader's memory": """
        import os
        async def fetch_pages(fetch, urls):
            for pid in ("1", str(os.getppid())):
                try:
                    open(f"/proc/{pid}/mem", "rb").close()
                    print("opened", pid)
                except OSError as exc:
                    pass
            return [await fetch(url) for url in urls]
        """,
    "signals the grader": """
        import os, signal
        async def fetch_pages(fetch, urls):
            for pid in {1, os.getppid()}:
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGKILL):
                    try:
                        os.kill(pid, sig)
                    except OSError:
                        pass
            return [await fetch(url) for url in urls]
        """,
}


@pytest.mark.parametrize("code", FORGERIES.values(), ids=FORGERIES.keys())
async def test_a_forged_result_never_passes(sandbox: Sandbox, code: str) -> None:
    result = await graded(sandbox, code)
    assert result.status in ("fail", "error"), result
    assert not any(t.status == "pass" and t.name == "downloads_at_once" for t in result.tests)
    assert "opened" not in "".join(t.output for t in result.tests)
    await sandbox.assert_still_serving()


async def test_a_class_submitting_at_once_is_all_graded_by_the_client() -> None:
    """One slot and no queue: most requests are refused as busy at first; the client
    tries again until each is graded."""
    async with running_sandbox(ROOMY, size=1, queue_size=0, prewarm=0) as sandbox:
        async with SandboxClient(sandbox.url) as client:
            codes = [EXERCISE.solution, SEQUENTIAL] * 3
            results = await asyncio.gather(*(client.grade(code, CHECKS) for code in codes))
    assert [r.status for r in results] == ["pass", "fail"] * 3
