"""What an exercise's checks use inside the student's process: fake services, a
virtual clock, and the report channel back to the grader.

Runs inside the sandbox, in the child the grader forks for one check (grader.py), so it
uses the standard library only. Everything the student's code could tamper with lives
here, which is why nothing here decides anything: the kit *records* what happened
(each fake call's start and end in virtual time, whether a blocking call ran on the
event loop's thread) as JSON lines on the report pipe, and hands back the scenario's
return value as plain JSON. The grader judges.

Time is virtual: the scenario runs on ``VirtualTimeLoop``, where ``loop.time()`` starts
at 0 and jumps straight to the next timer whenever nothing is ready to run (and no
thread-pool job is pending). ``asyncio.sleep(1)`` therefore takes a microsecond of real
time and exactly 1 s of loop time, whatever the machine's load: three concurrent
one-second calls end at t=1, three sequential ones at t=3, every time.
"""

import asyncio
import json
import os
import selectors
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Executor
from types import CodeType
from typing import Any, TypeVar, TypeVarTuple

REPORT_FD = 3  # where the grader reads this child's report lines
SOLUTION_FILE = "solution.py"
VIRTUAL_LIMIT_S = 3600.0  # a scenario still waiting then waits forever
TRACEBACK_CAP = 3000
T = TypeVar("T")
Ts = TypeVarTuple("Ts")
Scenario = Callable[[Any, "Kit"], Coroutine[Any, Any, Any]]


def report(kind: str, **values: Any) -> None:
    """One line to the grader (lines under PIPE_BUF are written whole, even by threads)."""
    os.write(REPORT_FD, (json.dumps({"e": kind, **values}) + "\n").encode())


class _VirtualSelector(selectors.DefaultSelector):
    """Waits for real only for what is real (a thread-pool job, a child process, a
    socket); a wait for a timer becomes a jump of the loop's clock."""

    def __init__(self, loop: "VirtualTimeLoop") -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if self._loop.jobs_in_threads or timeout is None or _waiting_for_a_child():
            return super().select(None)
        self._loop.now += timeout
        return []


def _waiting_for_a_child() -> bool:
    """A child process still runs: asyncio's watcher (3.11's default, threaded) waits
    for it in a thread of its own, and its end will wake the loop."""
    return any(t.name.startswith("asyncio-waitpid-") for t in threading.enumerate())


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self.now = 0.0
        self.jobs_in_threads = 0
        super().__init__(_VirtualSelector(self))

    def time(self) -> float:
        return self.now

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts
    ) -> asyncio.Future[T]:
        """Counted, so the clock stands still while a thread works (``to_thread`` too)."""
        future = super().run_in_executor(executor, func, *args)
        self.jobs_in_threads += 1
        future.add_done_callback(self._job_done)
        return future

    def _job_done(self, _: Any) -> None:
        self.jobs_in_threads -= 1


def plain(value: Any, where: str = "the value") -> Any:
    """``value`` if it is made only of exact JSON types (no subclasses: an ``int`` or
    ``str`` subclass could compare equal to anything); TypeError otherwise."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind in (list, tuple):
        return [plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise TypeError(f"{where} has a key of type {type(key).__name__}")
        return {key: plain(item, f"{where}[{key!r}]") for key, item in value.items()}
    raise TypeError(f"{where} is a {kind.__name__}, not a plain value (None, bool, int, "
                    "float, str, list, dict)")  # fmt: skip


def describe(exc: BaseException) -> str:
    """The exception as the student needs it: their own lines only, then what was
    raised (with the sub-exceptions of a group)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == SOLUTION_FILE]
    lines = ["Traceback (your code):\n", *traceback.format_list(frames)] if frames else []
    lines += _raised(exc, "")
    return "".join(lines)[-TRACEBACK_CAP:]


def _raised(exc: BaseException, indent: str) -> list[str]:
    lines = [indent + line for line in traceback.format_exception_only(type(exc), exc)]
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            lines += _raised(sub, indent + "  ")
    return lines


class Kit:
    """The scenario's second argument (``io`` by convention). Each fake records its
    calls; the grader turns them into ``log.calls(name)`` for ``verify``."""

    def __init__(self) -> None:
        self._ids = 0
        self.loop: asyncio.AbstractEventLoop | None = None  # the scenario's, once it runs
        self._loop_thread = threading.get_ident()

    def now(self) -> float:
        """The loop's virtual time (0 before the scenario starts)."""
        return self.loop.time() if self.loop is not None else 0.0

    def _start(self, name: str, key: Any, **more: Any) -> int:
        self._ids += 1
        report("call", id=self._ids, name=name, key=plain(key, "the key"), t=self.now(), **more)
        return self._ids

    def _end(self, call_id: int, outcome: str) -> None:
        report("end", id=call_id, t=self.now(), outcome=outcome)

    def service(
        self,
        name: str,
        *,
        seconds: float | Callable[[Any], float] = 1.0,
        reply: Callable[[Any], Any] | None = None,
        fail: Any = (),
        failures: int = 0,
        error: type[Exception] = ConnectionError,
    ) -> Callable[[Any], Awaitable[Any]]:
        """A fake network call: ``await call(key)`` takes ``seconds`` of virtual time (or
        ``seconds(key)``) and returns ``reply(key)`` (default: ``"<name>:<key>"``), or
        raises ``error`` for a key in ``fail`` and for the first ``failures`` calls.
        Keys must be plain JSON values."""
        calls = 0

        async def call(key: Any) -> Any:
            nonlocal calls
            calls += 1
            failing = calls <= failures or key in fail
            call_id = self._start(name, key)
            try:
                await asyncio.sleep(seconds(key) if callable(seconds) else seconds)
            except BaseException:
                self._end(call_id, "cancelled")
                raise
            if failing:
                self._end(call_id, "raised")
                raise error(f"{name} failed for {key!r}")
            self._end(call_id, "returned")
            return reply(key) if reply is not None else f"{name}:{key}"

        return call

    def blocking(
        self, name: str, *, reply: Callable[[Any], Any] | None = None
    ) -> Callable[[Any], Any]:
        """A fake blocking (synchronous) library call: ``call(key)`` records whether it
        ran on the event loop's thread, where it would freeze every other task."""

        def call(key: Any) -> Any:
            running = self.loop is not None and self.loop.is_running()
            on_loop = running and threading.get_ident() == self._loop_thread
            self._end(self._start(name, key, on_loop=on_loop), "returned")
            return reply(key) if reply is not None else f"{name}:{key}"

        return call

    def watch_sleep(self) -> None:
        """``time.sleep`` becomes a recorded blocking call named ``time.sleep`` (taking
        no real time), installed before the student's code is imported."""
        time.sleep = self.blocking("time.sleep")

    def run_scenario(self, scenario: Scenario, solution: Any) -> None:
        """Run one scenario on a virtual-time loop and report its result or exception.
        The loop is left as it is (the child exits next): closing it would wait for
        whatever the student's code left running."""
        runner = asyncio.Runner(loop_factory=VirtualTimeLoop)
        try:
            self.loop = runner.get_loop()
            value = runner.run(_guarded(scenario(solution, self)))
            value = plain(value, "the value your code returned")
        except _Stuck:
            report("raised", message=f"still waiting after {VIRTUAL_LIMIT_S:g} s of loop "
                   "time: something waits forever (a queue never joined, a task never "
                   "cancelled?)")  # fmt: skip
        except BaseException as exc:
            report("raised", message=describe(exc))
        else:
            report("result", value=value, t=self.now())


class _Stuck(Exception):
    """The scenario was still waiting at VIRTUAL_LIMIT_S."""


async def _guarded(scenario: Awaitable[Any]) -> Any:
    try:
        async with asyncio.timeout(VIRTUAL_LIMIT_S) as limit:
            return await scenario
    except TimeoutError:
        if limit.expired():
            raise _Stuck() from None
        raise


class ScenarioCheck:
    """What ``@check`` makes of a scenario in the student's process: the scenario
    itself (``verify`` runs in the grader only, so here it keeps nothing)."""

    def __init__(self, scenario: Scenario, found: dict[str, Scenario]) -> None:
        self.scenario = scenario
        found[scenario.__name__] = scenario

    def verify(self, judge: Callable[..., Any]) -> Callable[..., Any]:
        return judge


def scenarios(checks: CodeType) -> dict[str, Scenario]:
    """The scenarios of an exercise's checks, by name."""
    found: dict[str, Scenario] = {}

    def check(scenario: Scenario) -> ScenarioCheck:
        return ScenarioCheck(scenario, found)

    exec(checks, {"check": check, "__name__": "checks"})
    return found


def flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
