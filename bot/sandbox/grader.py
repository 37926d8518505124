"""The grader: runs in a sandbox in place of a snippet, grades the student's code against
an exercise's checks, and writes the verdict to its stdout as one JSON object.

The worker (grading.py) sends this file as the sandbox's code, followed by a call to
``grade`` with the kit's and the checks' source; the student's code arrives on stdin.
The checks source runs here, where ``check`` collects each scenario's name and its
``verify`` function. For each check the grader forks a child that imports the student's
code as the module ``solution`` and runs that check's scenario (check_kit.py); the child
hands back only JSON lines on a report pipe (so only plain values, exact types), and
what it printed on another. The verdict is reached here, where the student's code
cannot reach: this process is not dumpable (no /proc/<pid>/mem, fds or ptrace for the
child), ignores the signals it could catch, and no descriptor of its own survives in
the child: the child gets /dev/null, its output pipe and its report pipe, nothing else.
Whatever the child does (exit, crash, hang, write anything anywhere) it can only fail
its own check; killing or stopping this process (same uid) leaves no verdict, which
the worker reports as ``error``, never ``pass``.

Standard library only: the sandbox has nothing else.
"""

import ctypes
import json
import linecache
import os
import selectors
import signal
import sys
import time
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SOLUTION_FILE = "solution.py"
PR_SET_DUMPABLE = 4
REPORT_FD = 3
OUTPUT_CAP = 2000  # characters of what the student printed, per check
REPORT_CAP = 1 << 20  # bytes of report lines per check; more is tampering
DRAIN_S = 0.5  # after the child exits: its leftovers may hold the pipes open
RESERVE_S = 0.2  # of the budget, kept for writing the verdict
CHILD_FAILED = 70
IGNORED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM",
                   "SIGPIPE", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGXFSZ")  # fmt: skip
Verify = Callable[[Any, "Log"], None]


class Check:
    """What ``@check`` makes of a scenario in the grader: its name, its docstring, and
    the ``verify`` function that judges what the scenario observed."""

    def __init__(self, scenario: Callable[..., Any]) -> None:
        self.name: str = scenario.__name__
        self.description = (scenario.__doc__ or self.name.replace("_", " ")).strip()
        self.judge: Verify | None = None
        _CHECKS.append(self)

    def verify(self, judge: Verify) -> Verify:
        self.judge = judge
        return judge


_CHECKS: list[Check] = []


@dataclass(frozen=True)
class Call:
    """One call of a fake service or blocking function, as the child reported it."""

    name: str
    key: Any
    start: float
    end: float | None  # None: never ended (still waiting when the scenario returned)
    outcome: str | None  # "returned", "raised", "cancelled", or None
    on_loop: bool | None  # blocking calls only: ran on the event loop's thread


@dataclass
class Log:
    """What ``verify(result, log)`` sees besides the scenario's return value."""

    calls_made: list[Call] = field(default_factory=list)
    output: str = ""  # what the student's code printed during the check
    finished_at: float = 0.0  # the loop's virtual time when the scenario returned

    def calls(self, name: str | None = None) -> list[Call]:
        return [c for c in self.calls_made if name is None or c.name == name]

    def keys(self, name: str | None = None) -> list[Any]:
        return [c.key for c in self.calls(name)]

    def max_in_flight(self, name: str | None = None) -> int:
        """The most calls of ``name`` that had started and not yet ended at once."""
        edges = []
        for c in self.calls(name):
            edges.append((c.start, 1))
            edges.append((c.end if c.end is not None else float("inf"), -1))
        most = current = 0
        for _, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):  # ends first
            current += step
            most = max(most, current)
        return most

    def blocked_loop(self) -> list[Call]:
        """Blocking calls that ran on the event loop's thread."""
        return [c for c in self.calls_made if c.on_loop]


@dataclass
class Observed:
    """What one child did, seen from here."""

    lines: list[bytes] = field(default_factory=list)
    output: bytes = b""
    report_bytes: int = 0
    status: int | None = None  # exit status as os.waitstatus_to_exitcode gives it
    timed_out: bool = False


@dataclass(frozen=True)
class Work:
    """What every child needs, compiled once here before the first fork."""

    solution: types.CodeType
    source: str
    kit: types.ModuleType
    checks: types.CodeType


class ChildTampered(Exception):
    """The report pipe held something the kit never writes."""


def grade(kit_source: str, checks_source: str, budget_s: float) -> None:
    deadline = time.monotonic() + budget_s - RESERVE_S
    _protect_self()
    source = _read_all(0)
    verdict = _verdict(source, kit_source, checks_source, deadline)
    sys.stdout.flush()
    os.write(1, json.dumps(verdict).encode())


def _protect_self() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
    for name in IGNORED_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def _verdict(source: str, kit_source: str, checks_source: str, deadline: float) -> dict[str, Any]:
    try:
        checks = compile(checks_source, "checks.py", "exec", dont_inherit=True)
        exec(checks, {"check": Check, "__name__": "checks"})
    except Exception:
        return _error("the exercise's checks are broken: " + traceback.format_exc(limit=-1))
    if not _CHECKS:
        return _error("the exercise has no checks")
    try:
        solution = compile(source, SOLUTION_FILE, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return _error("".join(traceback.format_exception_only(type(exc), exc)).rstrip())
    except (ValueError, MemoryError, RecursionError) as exc:
        return _error(f"your code cannot be compiled: {exc}")
    kit = types.ModuleType("check_kit")
    exec(compile(kit_source, "check_kit.py", "exec"), kit.__dict__)
    sys.modules["check_kit"] = kit
    work = Work(solution, source, kit, checks)
    tests = []
    for done, check in enumerate(_CHECKS):
        left = len(_CHECKS) - done
        now = time.monotonic()
        if now >= deadline:
            tests.append(_test(check, "fail", "not run: the time for grading ran out"))
            continue
        # An endless loop costs its own check only: each check gets an equal share of
        # what is left (fast checks leave more for the next ones).
        seen = _observe(check.name, work, now + (deadline - now) / left)
        try:
            events = [_event(line) for line in seen.lines]
        except ChildTampered as exc:
            tests.append(_test(check, "fail", str(exc), seen))
            continue
        stopped = _stopped_at_import(events, seen)
        if stopped is not None:
            return _error(stopped)
        tests.append(_judge(check, events, seen))
    status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    passed = sum(t["status"] == "pass" for t in tests)
    return {"status": status, "message": f"{passed} of {len(tests)} checks passed",
            "tests": tests}  # fmt: skip


def _error(message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "tests": []}


def _test(check: Check, status: str, message: str, seen: Observed | None = None) -> dict[str, Any]:
    output = seen.output.decode(errors="replace") if seen else ""
    if len(output) > OUTPUT_CAP:
        output = output[:OUTPUT_CAP] + "\n[output cut]"
    return {"name": check.name, "status": status, "message": message, "output": output}


def _event(line: bytes) -> dict[str, Any]:
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict) or event.get("e") not in EVENT_KINDS:
        raise ChildTampered(
            "something other than the checks wrote to the checks' channel: "
            "write only to stdout and stderr"
        )
    return event


EVENT_KINDS = {"imported", "import-failed", "call", "end", "result", "raised"}


def _stopped_at_import(events: list[dict[str, Any]], seen: Observed) -> str | None:
    """Why no check can run (the student's module did not import), or None."""
    if any(e["e"] == "imported" for e in events):
        return None
    failed = [e for e in events if e["e"] == "import-failed"]
    if failed:
        return "your code raised an error while it was imported:\n" + str(failed[0].get("message"))
    if seen.timed_out:
        return "your code was still running its top level when the time ran out"
    return f"your code ended the program while it was imported (exit status {seen.status})"


def _judge(check: Check, events: list[dict[str, Any]], seen: Observed) -> dict[str, Any]:
    outcomes = [e for e in events if e["e"] in ("result", "raised")]
    if len(outcomes) > 1:
        return _test(check, "fail", "the check's outcome was reported twice: your code "
                     "must not write to descriptors it did not open", seen)  # fmt: skip
    if not outcomes:
        if seen.timed_out:
            why = "did not finish in time (an endless loop, or waiting on a thread forever?)"
        else:
            why = f"your code ended the program during the check (exit status {seen.status})"
        return _test(check, "fail", why, seen)
    outcome = outcomes[0]
    if outcome["e"] == "raised":
        return _test(check, "fail", str(outcome.get("message")), seen)
    log = _log(events, seen)
    if isinstance(outcome.get("t"), int | float):
        log.finished_at = float(outcome["t"])
    if check.judge is None:
        return _test(check, "error", "this check has no verify function", seen)
    try:
        check.judge(outcome.get("value"), log)
    except AssertionError as exc:
        return _test(check, "fail", str(exc) or f"failed: {check.description}", seen)
    except Exception:
        return _test(check, "error", "the check itself is broken: "
                     + traceback.format_exc(limit=-1), seen)  # fmt: skip
    return _test(check, "pass", check.description, seen)


def _log(events: list[dict[str, Any]], seen: Observed) -> Log:
    ends = {e.get("id"): e for e in events if e["e"] == "end"}
    calls = []
    for e in events:
        if e["e"] != "call":
            continue
        end = ends.get(e.get("id"), {})
        calls.append(
            Call(
                name=str(e.get("name")),
                key=e.get("key"),
                start=_number(e.get("t")),
                end=_number(end["t"]) if "t" in end else None,
                outcome=str(end["outcome"]) if "outcome" in end else None,
                on_loop=e["on_loop"] if isinstance(e.get("on_loop"), bool) else None,
            )
        )
    return Log(calls, seen.output.decode(errors="replace"))


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChildTampered("the checks' channel held a time that is not a number")
    return float(value)


def _observe(name: str, work: Work, deadline: float) -> Observed:
    """Fork a child for check ``name`` and watch it until it is gone or time is up."""
    sys.stdout.flush()
    sys.stderr.flush()
    out_r, out_w = os.pipe()
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            _child(out_w, report_w, name, work)
        finally:
            os._exit(CHILD_FAILED)
    os.close(out_w)
    os.close(report_w)
    pidfd = os.pidfd_open(pid)
    seen = Observed()
    try:
        _watch(seen, pid, out_r, report_r, pidfd, deadline)
    finally:
        if seen.status is None:
            _kill(pid)
            seen.status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        for fd in (out_r, report_r, pidfd):
            os.close(fd)
    return seen


def _watch(
    seen: Observed, pid: int, out_r: int, report_r: int, pidfd: int, deadline: float
) -> None:
    pending = b""
    with selectors.DefaultSelector() as selector:
        for fd in (out_r, report_r, pidfd):
            selector.register(fd, selectors.EVENT_READ)
        open_pipes = {out_r, report_r}
        while open_pipes:
            left = deadline - time.monotonic()
            if left <= 0:
                seen.timed_out = seen.status is None
                return
            for key, _ in selector.select(left):
                fd = key.fd
                if fd == pidfd:
                    seen.status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
                    selector.unregister(pidfd)
                    deadline = min(deadline, time.monotonic() + DRAIN_S)
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    selector.unregister(fd)
                    open_pipes.discard(fd)
                elif fd == out_r:
                    if len(seen.output) < 4 * OUTPUT_CAP:
                        seen.output += data
                else:
                    seen.report_bytes += len(data)
                    if seen.report_bytes > REPORT_CAP:
                        seen.lines = [b"too much"]  # judged as tampering
                        return
                    *complete, pending = (pending + data).split(b"\n")
                    seen.lines += complete
        if pending:
            seen.lines.append(pending)


def _kill(pid: int) -> None:
    """The child leads its own process group; what it started elsewhere dies with the
    sandbox (its runner kills every process in it when the grader ends)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _child(out_w: int, report_w: int, name: str, work: Work) -> None:
    """Become the student's process: own process group, default signals, only
    /dev/null, the output pipe and the report pipe open; then import the student's code
    and run one scenario."""
    os.setpgid(0, 0)
    for signal_name in IGNORED_SIGNALS:
        signal.signal(getattr(signal, signal_name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for ignored_by_python in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(ignored_by_python, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDONLY)
    for fd, to in ((null, 0), (out_w, 1), (out_w, 2), (report_w, REPORT_FD)):
        os.dup2(fd, to)
    os.closerange(REPORT_FD + 1, os.sysconf("SC_OPEN_MAX"))
    try:  # if memory runs out, the kernel kills this process, not the grader
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError:
        pass
    sys.stdout = sys.stderr = open(1, "w", buffering=1, errors="backslashreplace", closefd=False)
    kit, source = work.kit, work.source
    io = kit.Kit()
    io.watch_sleep()
    linecache.cache[SOLUTION_FILE] = (len(source), None, source.splitlines(True), SOLUTION_FILE)
    module = types.ModuleType("solution")
    module.__file__ = SOLUTION_FILE
    sys.modules["solution"] = module
    try:
        exec(work.solution, module.__dict__)
    except BaseException as exc:
        kit.report("import-failed", message=kit.describe(exc))
    else:
        kit.report("imported")
        io.run_scenario(kit.scenarios(work.checks)[name], module)
    kit.flush_output()
    os._exit(0)
