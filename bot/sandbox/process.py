"""One sandbox process: started ahead of time, it runs exactly one snippet, then is gone.

Starting (fork, cgroup join, bubblewrap, interpreter start-up) is most of the cost of a
run, so it happens before the code is known: the runner waits for the code on a pipe.
The fork happens on a worker thread (joining a cgroup needs code between fork and exec,
which asyncio's subprocess support cannot run off the loop); everything after it is on
the event loop: pipes through asyncio transports, the exit through a pidfd. The runner
inside reports how the snippet ended (see runner.py); the worker only keeps a backstop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.sandbox import runner
from bot.sandbox.capture import CappedPipe, read_pipe
from bot.sandbox.cgroups import Cgroups, SnippetGroup, join
from bot.sandbox.isolation import Isolation, interpreter
from bot.sandbox.limits import Limits
from bot.sandbox.result import RunResult

RUNNER_SOURCE = Path(runner.__file__).read_text()
START_TIMEOUT_S = 10.0
DRAIN_TIMEOUT_S = 1.0  # pipes close when the sandbox's last process is gone
BACKSTOP_S = 1.0  # the runner enforces the wall clock; this is for a runner gone wrong
CPU_LIMIT_EXITS = (-signal.SIGXCPU, -signal.SIGKILL)


class SandboxStartError(Exception):
    """The sandbox did not come up (bubblewrap or the runner failed)."""


class SandboxProcess:
    def __init__(self, isolation: Isolation, cgroups: Cgroups | None, limits: Limits) -> None:
        self._isolation = isolation
        self._cgroups = cgroups
        self._limits = limits
        self._uid = -1
        self._group: SnippetGroup | None = None
        self._popen: subprocess.Popen[bytes] | None = None
        self._pidfd = -1
        self._code_fd = self._stdin_fd = -1
        self._unread_fds: dict[str, int] = {}
        self._pipes: dict[str, CappedPipe] = {}
        self._exited: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        self._used = False
        self._released = False

    @classmethod
    async def start(
        cls, isolation: Isolation, cgroups: Cgroups | None, limits: Limits
    ) -> SandboxProcess:
        """A sandbox whose runner is up and waiting for code."""
        sandbox = cls(isolation, cgroups, limits)
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
            if self._popen is not None:
                loop.add_reader(self._pidfd, self._on_exit)
        while self._unread_fds:  # each descriptor belongs to its transport from here
            name, fd = self._unread_fds.popitem()
            self._pipes[name] = await read_pipe(fd, self._limits.output_bytes)

    def _spawn_blocking(self) -> None:
        """Create the cgroup and the pipes, then fork and exec (on a worker thread)."""
        limits = self._limits
        if self._cgroups is not None:
            self._group = self._cgroups.create(limits.memory_bytes, limits.pids)
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
            out_r, out_w = pipe(child_reads=False)
            err_r, err_w = pipe(child_reads=False)
            status_r, status_w = pipe(child_reads=False)
            self._unread_fds = {"stdout": out_r, "stderr": err_r, "status": status_r}
            address_space = limits.memory_bytes if self._group is None else 0
            runner_args = (code_r, status_w, self._uid, limits.pids, limits.file_bytes)
            runner_args += (limits.open_files, address_space)
            command = [interpreter(), "-I", "-S", "-c", RUNNER_SOURCE, *map(str, runner_args)]
            argv, isolation_fds = self._isolation.wrap(command)
            child_fds += isolation_fds
            popen = subprocess.Popen(
                argv,
                stdin=stdin_r,
                stdout=out_w,
                stderr=err_w,
                pass_fds=(code_r, status_w, *isolation_fds),
                env={},
                cwd=tempfile.gettempdir(),
                start_new_session=True,
                preexec_fn=functools.partial(join, self._group.procs_files)
                if self._group
                else None,
            )
            try:
                self._pidfd = os.pidfd_open(popen.pid)
            except OSError:
                popen.kill()
                popen.wait()
                raise
            self._popen = popen
        except BaseException:
            for fd in parent_fds:
                os.close(fd)
            self._unread_fds = {}
            self._code_fd = self._stdin_fd = -1
            raise
        finally:
            for fd in child_fds:
                os.close(fd)

    async def _until_ready(self) -> None:
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                if (await self._pipes["status"].wait_for_data()).startswith(runner.READY):
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

    def _on_exit(self) -> None:
        """The pidfd is readable: the process is a zombie, so its number (and session)
        still belong to it while leftovers are killed; then reap it with its usage."""
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        assert self._popen is not None
        self._isolation.kill(self._popen.pid)
        _, status, usage = os.wait4(self._popen.pid, 0)
        self._popen.returncode = os.waitstatus_to_exitcode(status)
        os.close(self._pidfd)
        self._exited.set_result((status, usage))

    def _kill(self) -> None:
        if self._popen is not None and not self._exited.done():
            self._isolation.kill(self._popen.pid)

    async def run(self, source: str, stdin: str, limits: Limits) -> RunResult:
        """Run ``source`` within ``limits`` (as low as, or lower than, the start limits)."""
        if self._used:
            raise RuntimeError("a sandbox runs one snippet only")
        self._used = True
        try:
            header = f"{round(limits.wall_s * 1000)} {limits.cpu_s}\n".encode()
            code_fd, self._code_fd = self._code_fd, -1  # each pipe now belongs to _feed
            await _feed(code_fd, header + source.encode())
            stdin_fd, self._stdin_fd = self._stdin_fd, -1
            await _feed(stdin_fd, stdin.encode())
            started = time.monotonic()
            backstop_fired = False
            try:
                async with asyncio.timeout(limits.wall_s + BACKSTOP_S):
                    await asyncio.shield(self._exited)
            except TimeoutError:
                backstop_fired = True
                self._kill()
                await self._exited
            wall_ms = (time.monotonic() - started) * 1000
            await self._drained()
            return await self._result(limits, wall_ms, backstop_fired)
        finally:
            await self.close()

    async def _drained(self) -> None:
        closing = [pipe.closed for pipe in self._pipes.values()]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                await asyncio.gather(*closing)

    async def _result(self, limits: Limits, wall_ms: float, backstop_fired: bool) -> RunResult:
        """From the runner's report; if the runner did not survive to write one, from
        what the worker saw (less precise: the usage then includes the start-up)."""
        lines = self._pipes["status"].data.split(b"\n")
        reports = [line.split()[1:] for line in lines if line.startswith(runner.REPORT + b" ")]
        oom_killed = False
        if self._group is not None:
            loop = asyncio.get_running_loop()
            oom_killed = await loop.run_in_executor(None, self._group.oom_killed)
        if reports:
            status, killed, wall_us, cpu_us, peak_kb = map(int, reports[-1])
            exit_code: int | None = os.waitstatus_to_exitcode(status)
            wall_ms, cpu_ms = wall_us / 1000, cpu_us / 1000
            cpu_limit_hit = exit_code in CPU_LIMIT_EXITS and cpu_ms >= limits.cpu_s * 1000
            timed_out = bool(killed) or cpu_limit_hit
            stopped = timed_out or (oom_killed and exit_code == -signal.SIGKILL)
        else:
            _, usage = self._exited.result()
            exit_code, timed_out, stopped = None, backstop_fired, True
            cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
            peak_kb = usage.ru_maxrss
        stdout, stderr = self._pipes["stdout"], self._pipes["stderr"]
        return RunResult(
            stdout=stdout.text(),
            stderr=stderr.text(),
            exit_code=None if stopped else exit_code,
            timed_out=timed_out,
            memory_exceeded=oom_killed or runner.OUT_OF_MEMORY in lines,
            output_truncated=stdout.truncated or stderr.truncated,
            wall_ms=round(wall_ms, 3),
            cpu_ms=round(cpu_ms, 3),
            peak_memory_kb=peak_kb,
        )

    async def close(self) -> None:
        """Kill whatever is left, reap it, and give back its cgroup and uid (idempotent)."""
        if self._released:
            return
        self._released = True
        for fd in (self._code_fd, self._stdin_fd, *self._unread_fds.values()):
            if fd >= 0:
                os.close(fd)
        self._code_fd = self._stdin_fd = -1
        self._unread_fds = {}
        if self._popen is not None:
            self._kill()
            await self._exited
        for pipe in self._pipes.values():
            pipe.close()
        if self._group is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._group.remove)
        self._isolation.give_back_uid(self._uid)


async def _feed(fd: int, data: bytes) -> None:
    """Write ``data`` to a pipe and close it, without waiting for the reader: a snippet
    may never read its stdin, and the transport drops the rest when the pipe breaks."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, os.fdopen(fd, "wb", buffering=0))
    transport.write(data)
    transport.close()
