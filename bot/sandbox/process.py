"""One sandbox process: started ahead of time, it runs exactly one snippet, then is gone.

Starting (bubblewrap, interpreter start-up) is most of the cost of a run, so it happens
before the code is known: the runner waits for the code on a pipe. Spawning happens on a
worker thread (it creates the cgroup and the pipes, and forks a process that may be
large); everything after it is on the event loop: pipes through asyncio transports, the
wall clock, the exit through a pidfd.

The sandbox starts inside its cgroup: a shell (no Python code between fork and exec in
the worker) writes its own PID into the group and execs bubblewrap. It inherits only
its pipes: every other descriptor the worker holds, inherited from whoever started it
or not, is closed in the child. What the result says comes from the kernel: the
snippet's wait status, CPU time and peak RSS as the runner (which the snippet cannot
reach) reports them, and the cgroup's own counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

from bot.sandbox import runner
from bot.sandbox.capture import CappedPipe, read_pipe
from bot.sandbox.cgroups import Cgroups, SnippetGroup
from bot.sandbox.isolation import Isolation, interpreter
from bot.sandbox.limits import Limits
from bot.sandbox.result import RunResult
from bot.sandbox.zygote_client import ZygoteGone

RUNNER_SOURCE = Path(runner.__file__).read_text()
START_TIMEOUT_S = 10.0
DRAIN_TIMEOUT_S = 1.0  # pipes close when the sandbox's last process is gone
STOP_GRACE_S = 2.0  # for the runner to end the snippet and report, once told to stop
# Moves itself into each cgroup.procs named by the first N arguments, then execs the rest.
JOIN_GROUPS = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"'  # noqa: E501
CPU_LIMIT_EXITS = (-signal.SIGXCPU, -signal.SIGKILL)
CHRT = shutil.which("chrt")  # util-linux, essential in Debian
IDLE_PRIORITY = [CHRT, "--idle", "0"] if CHRT else []


class SandboxStartError(Exception):
    """The sandbox did not come up (bubblewrap or the runner failed)."""


class SandboxProcess:
    def __init__(self, isolation: Isolation, cgroups: Cgroups | None, limits: Limits) -> None:
        self._isolation = isolation
        self._cgroups = cgroups
        self._limits = limits
        self._uid = -1
        self._group: SnippetGroup | None = None
        self._pid = 0  # of the process started (bwrap), once it is; 0 if forked by a zygote
        self._background = False
        self._pidfd = -1  # of that process, or of PID 1 of a sandbox the zygote forked
        self._code_fd = self._stdin_fd = self._stop_fd = -1
        self._unread_fds: dict[str, int] = {}
        # Room for the largest code (plus its one-line header) or stdin allowed.
        self._pipe_bytes = 2 * max(limits.code_bytes, limits.stdin_bytes)
        self._pipes: dict[str, CappedPipe] = {}
        # (wait status, resource usage, OOM kill seen, group's peak KiB), once reaped
        self._exited: asyncio.Future[tuple[int, Any, bool, int | None]] = (
            asyncio.get_running_loop().create_future()
        )
        self._used = False
        self._released = False

    @classmethod
    async def start(
        cls,
        isolation: Isolation,
        cgroups: Cgroups | None,
        limits: Limits,
        *,
        background: bool = False,
    ) -> SandboxProcess:
        """A sandbox whose runner is up, in its cgroup, and waiting for code. In the
        background (when the worker may change it back: as root), it starts under
        SCHED_IDLE, so pre-starting never slows down the snippets that are running."""
        sandbox = cls(isolation, cgroups, limits)
        sandbox._background = (
            background and os.geteuid() == 0 and bool(IDLE_PRIORITY) and not isolation.zygote
        )  # a zygote's fork is cheap enough to start at the normal priority
        try:
            await sandbox._spawn()
            await sandbox._until_ready()
        except BaseException:
            await sandbox.close()
            raise
        return sandbox

    @property
    def alive(self) -> bool:
        return not self._exited.done()

    async def _spawn(self) -> None:
        loop = asyncio.get_running_loop()
        self._uid = self._isolation.take_uid()
        spawning = loop.run_in_executor(None, self._spawn_blocking)
        try:
            await asyncio.shield(spawning)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await spawning  # a few milliseconds; the caller then cleans up
            raise
        finally:
            if self._pidfd >= 0:
                loop.add_reader(self._pidfd, self._on_exit)
        while self._unread_fds:  # each descriptor belongs to its transport from here
            name, fd = self._unread_fds.popitem()
            self._pipes[name] = await read_pipe(fd, self._limits.output_bytes)

    def _spawn_blocking(self) -> None:
        """Create the cgroup and the pipes, then spawn (on a worker thread)."""
        limits = self._limits
        if self._cgroups is not None:
            self._group = self._cgroups.create(limits.pids, limits.socket_bytes)
        child_fds: list[int] = []
        parent_fds: list[int] = []

        def pipe(child_reads: bool) -> tuple[int, int]:
            read_end, write_end = os.pipe()
            child_fds.append(read_end if child_reads else write_end)
            parent_fds.append(write_end if child_reads else read_end)
            return read_end, write_end

        try:
            stdin_r, self._stdin_fd = pipe(child_reads=True)
            code_r, self._code_fd = pipe(child_reads=True)
            stop_r, self._stop_fd = pipe(child_reads=True)
            for fd in (self._stdin_fd, self._code_fd):
                fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, self._pipe_bytes)
            out_r, out_w = pipe(child_reads=False)
            err_r, err_w = pipe(child_reads=False)
            status_r, status_w = pipe(child_reads=False)
            self._unread_fds = {"stdout": out_r, "stderr": err_r, "status": status_r}
            address_space = limits.memory_bytes if self._group is None else 0
            parameters = [self._uid, limits.pids, limits.file_bytes, limits.open_files]
            parameters.append(address_space)
            if self._isolation.zygote is not None:
                procs = [os.open(f, os.O_WRONLY | os.O_CLOEXEC) for f in self._procs_files()]
                child_fds += procs
                sandbox_fds = [stdin_r, out_w, err_w, code_r, status_w, stop_r, *procs]
                try:
                    self._pidfd = self._isolation.zygote.fork(parameters, sandbox_fds)
                except ZygoteGone as exc:
                    raise SandboxStartError(str(exc)) from exc
                return
            runner_args = [code_r, status_w, stop_r, *parameters]
            command = [interpreter(), "-I", "-S", "-c", RUNNER_SOURCE, *map(str, runner_args)]
            argv, isolation_fds = self._isolation.wrap(command)
            if self._group is not None:
                files = list(map(str, self._procs_files()))
                argv = ["/bin/sh", "-c", JOIN_GROUPS, "sh", str(len(files)), *files, *argv]
            if self._background:
                argv = [*IDLE_PRIORITY, *argv]
            child_fds += isolation_fds
            redirections = [(stdin_r, 0), (out_w, 1), (err_w, 2)]
            kept = (code_r, status_w, stop_r, *isolation_fds)
            redirections += [(fd, fd) for fd in kept]
            actions: list[tuple[int, ...]] = [(os.POSIX_SPAWN_DUP2, *r) for r in redirections]
            actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inheritable_fds() - {0, 1, 2, *kept}]
            pid = os.posix_spawn(
                argv[0],
                argv,
                {},
                file_actions=actions,
                setsid=True,
                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),  # Python ignores both
            )
            try:
                self._pidfd = os.pidfd_open(pid)
            except OSError:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise
            self._pid = pid
        except BaseException:
            for fd in parent_fds:
                os.close(fd)
            self._unread_fds = {}
            self._code_fd = self._stdin_fd = -1
            raise
        finally:
            for fd in child_fds:
                os.close(fd)

    def _procs_files(self) -> list[Path]:
        return self._group.procs_files if self._group is not None else []

    async def _until_ready(self) -> None:
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                first_line = (await self._pipes["status"].wait_for_data()).split(b"\n")[0]
                if first_line == runner.READY:
                    if self._group is not None:
                        await self._limit_memory(self._group)
                    return
                await self._exited
                await self._drained()
        except TimeoutError:
            raise SandboxStartError(
                f"the sandbox did not start within {START_TIMEOUT_S} s"
            ) from None
        status = os.waitstatus_to_exitcode(self._exited.result()[0])
        message = self._pipes["stderr"].text().strip() or f"exit status {status}"
        raise SandboxStartError(f"the sandbox did not start: {message}")

    async def _limit_memory(self, group: SnippetGroup) -> None:
        """The interpreter has started: from now on, the snippet's allowance."""
        limit = functools.partial(group.limit_memory, self._limits.memory_bytes)
        try:
            await asyncio.get_running_loop().run_in_executor(None, limit)
        except OSError as exc:
            raise SandboxStartError(f"cannot limit the sandbox's memory: {exc}") from exc

    def _on_exit(self) -> None:
        """The pidfd is readable: the process is a zombie, so its number (and session)
        still belong to it while leftovers are killed; then reap it with its usage.
        Everything is gone now: read the group's final figures (two small reads of
        kernel memory) and give back the group and the uid, whoever awaits the end."""
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        if self._pid:
            self._isolation.kill(self._pid)
            _, status, usage = os.wait4(self._pid, 0)
        else:  # the zygote's grandchild, not ours: its end is all there is to know
            status, usage = 0, None
        os.close(self._pidfd)
        if self._group is not None:
            self._group.kill_all()
        oom_killed, group_peak_kb = self._group.figures() if self._group else (False, None)
        self._release()
        self._exited.set_result((status, usage, oom_killed, group_peak_kb))

    def _release(self) -> None:
        if self._cgroups is not None and self._group is not None:
            self._cgroups.retire(self._group)
            self._group = None
        self._isolation.give_back_uid(self._uid)
        self._uid = -1

    def _kill(self) -> None:
        if self._exited.done():
            return
        if self._pid:
            self._isolation.kill(self._pid)
        elif self._pidfd >= 0:  # its death ends PID 1, which ends the namespace
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def _prioritize(self) -> None:
        """Back to the normal scheduling class, for bwrap and the runner (whose
        children inherit it)."""
        for pid in {self._pid, self._isolation.runner_pid(self._pid)}:
            with contextlib.suppress(ProcessLookupError):
                os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))

    async def run(self, source: str, stdin: str, limits: Limits) -> RunResult:
        """Run ``source`` within ``limits`` (as low as, or lower than, the start limits)."""
        if self._used:
            raise RuntimeError("a sandbox runs one snippet only")
        self._used = True
        try:
            if self._background:
                self._prioritize()
            code_fd, self._code_fd = self._code_fd, -1  # each pipe now belongs to _feed
            _feed(code_fd, f"{limits.cpu_s}\n".encode() + source.encode(), self._pipe_bytes)
            stdin_fd, self._stdin_fd = self._stdin_fd, -1
            _feed(stdin_fd, stdin.encode(), self._pipe_bytes)
            started = time.monotonic()
            wall_clock_expired = False
            try:
                async with asyncio.timeout(limits.wall_s):
                    await asyncio.shield(self._exited)
            except TimeoutError:
                wall_clock_expired = True
                wall_ms = (time.monotonic() - started) * 1000
                await self._stop()
            else:
                wall_ms = (time.monotonic() - started) * 1000
            await self._drained()
            return await self._result(limits, wall_ms, wall_clock_expired)
        finally:
            await self.close()

    async def _stop(self) -> None:
        """Tell the runner to end the snippet (it then reaps and reports everything);
        kill the sandbox if it has not done so soon."""
        os.close(self._stop_fd)
        self._stop_fd = -1
        try:
            async with asyncio.timeout(STOP_GRACE_S):
                await asyncio.shield(self._exited)
        except TimeoutError:
            self._kill()
            await self._exited

    async def _drained(self) -> None:
        closing = [pipe.closed for pipe in self._pipes.values()]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                await asyncio.gather(*closing)

    async def _result(self, limits: Limits, wall_ms: float, wall_clock_expired: bool) -> RunResult:
        _, usage, oom_killed, group_peak_kb = self._exited.result()
        report = _report(self._pipes["status"].data)
        if report is not None:  # the runner's: the snippet's own figures
            wait_status, cpu_us, snippet_peak_kb = report
            exit_code: int | None = os.waitstatus_to_exitcode(wait_status)
            total_cpu_ms = cpu_us / 1000
        elif usage is not None:  # the runner itself was killed (out of memory, or by force)
            exit_code, snippet_peak_kb = None, usage.ru_maxrss
            total_cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
        else:  # the same, in a sandbox forked by the zygote: the group's figures only
            exit_code, snippet_peak_kb, total_cpu_ms = None, 0, 0.0
        cpu_limit_hit = exit_code in CPU_LIMIT_EXITS and total_cpu_ms >= limits.cpu_s * 1000
        timed_out = wall_clock_expired or cpu_limit_hit
        # The group's figure counts every process and socket buffer, from the start.
        peak_kb = group_peak_kb if group_peak_kb is not None else snippet_peak_kb
        # Stopped by the sandbox, not ended by the snippet: no exit code.
        stopped = timed_out or (oom_killed and exit_code in (-signal.SIGKILL, None))
        stdout, stderr = self._pipes["stdout"], self._pipes["stderr"]
        return RunResult(
            stdout=stdout.text(),
            stderr=stderr.text(),
            exit_code=None if stopped else exit_code,
            timed_out=timed_out,
            memory_exceeded=oom_killed,
            output_truncated=stdout.truncated or stderr.truncated,
            wall_ms=round(wall_ms, 3),
            cpu_ms=round(total_cpu_ms, 3),
            peak_memory_kb=peak_kb,
        )

    async def close(self) -> None:
        """Kill whatever is left and wait until it is reaped (idempotent)."""
        if self._released:
            return
        self._released = True
        for fd in (self._code_fd, self._stdin_fd, self._stop_fd, *self._unread_fds.values()):
            if fd >= 0:
                os.close(fd)
        self._code_fd = self._stdin_fd = self._stop_fd = -1
        self._unread_fds = {}
        if self._pidfd < 0:  # never started: nothing will be reaped
            self._release()
        else:
            self._kill()
            await self._exited
        for pipe in self._pipes.values():
            pipe.close()


def _report(status_pipe: bytes) -> tuple[int, int, int] | None:
    """(wait status, CPU microseconds, peak KiB) from the runner's last line, if any."""
    fields = status_pipe.split(b"\n")[-2].split() if status_pipe.endswith(b"\n") else []
    if len(fields) != 4 or fields[0] != runner.REPORT:
        return None
    wait_status, cpu_us, peak_kb = map(int, fields[1:])
    return wait_status, cpu_us, peak_kb


def _inheritable_fds() -> set[int]:
    """Descriptors a spawned process would inherit: whatever the worker's parent left
    open (Python opens everything else close-on-exec)."""
    fds = {int(name) for name in os.listdir("/proc/self/fd")}
    inheritable = set()
    for fd in fds:
        try:
            if os.get_inheritable(fd):
                inheritable.add(fd)
        except OSError:  # the listing's own descriptor, closed since
            pass
    return inheritable


def _feed(fd: int, data: bytes, capacity: int) -> None:
    """Write ``data`` to an empty pipe of ``capacity`` bytes (so this never blocks, and
    nothing waits for a snippet that does not read its stdin), then close it."""
    try:
        if len(data) > capacity:
            raise ValueError(f"{len(data)} bytes do not fit in the sandbox's input pipe")
        os.write(fd, data)
    except BrokenPipeError:
        pass  # the sandbox is gone already; its result will say how
    finally:
        os.close(fd)
