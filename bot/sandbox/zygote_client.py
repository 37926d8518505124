"""The worker's side of the zygote (zygote.py): start it, ask it for sandboxes, stop it.

A request is one SOCK_SEQPACKET message (atomic, so threads may send at once) carrying
the sandbox's descriptors; the answer comes on a socket made for that request alone: a
pidfd of the sandbox's PID 1, which the worker then polls for its end and signals to
kill the whole sandbox. If the zygote dies, every request fails at once (and the pool's
start-up error says why); the zygote's own parent-death signal ends it with the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from pathlib import Path

from bot.sandbox import runner, zygote

ZYGOTE_SOURCE = Path(zygote.__file__).read_text()
RUNNER_SOURCE = Path(runner.__file__).read_text()
ANSWER_TIMEOUT_S = 10.0


class ZygoteGone(Exception):
    """The zygote did not answer a request (it is dead, or the fork failed)."""


class Zygote:
    def __init__(self, process: asyncio.subprocess.Process, control: socket.socket) -> None:
        self._process = process
        self._control = control

    @classmethod
    async def start(
        cls, prefix: list[str], fds: list[int], python: str, seccomp_bpf: bytes, tmp_bytes: int
    ) -> Zygote:
        """Start the zygote with ``python`` inside ``prefix`` (bubblewrap's command line,
        up to ``--``); ``fds`` are the descriptors bubblewrap reads, closed here once
        passed on. The seccomp filter goes through a pipe (a few KiB: it fits)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        bpf_read, bpf_write = os.pipe()
        try:
            os.write(bpf_write, seccomp_bpf)
            os.close(bpf_write)
            command = [*prefix, python, "-I", "-S", "-c", ZYGOTE_SOURCE]
            command += [str(theirs.fileno()), str(bpf_read), str(tmp_bytes), RUNNER_SOURCE]
            process = await asyncio.create_subprocess_exec(
                *command,
                pass_fds=[*fds, theirs.fileno(), bpf_read],
                env={},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
            os.close(bpf_read)
            for fd in fds:
                os.close(fd)
        return cls(process, ours)

    @property
    def pid(self) -> int:
        """bubblewrap's, around the zygote."""
        return self._process.pid

    def fork(self, parameters: list[int], fds: list[int]) -> int:
        """A new sandbox (blocking: on a worker thread): its PID 1's pidfd."""
        answer, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with answer:
            try:
                message = " ".join(map(str, parameters)).encode()
                descriptors = [*fds[:6], theirs.fileno(), *fds[6:]]
                socket.send_fds(self._control, [message], descriptors)
            except OSError as exc:
                raise ZygoteGone(f"the zygote is gone: {exc}") from exc
            finally:
                theirs.close()
            answer.settimeout(ANSWER_TIMEOUT_S)
            try:
                _, pidfds, _, _ = socket.recv_fds(answer, 1, 1)
            except OSError as exc:
                raise ZygoteGone(f"the zygote did not answer: {exc}") from exc
        if not pidfds:
            raise ZygoteGone("the sandbox failed before it started (see the worker's log)")
        return pidfds[0]

    async def close(self) -> None:
        """Stop it: it leaves when its socket closes (a kill if it does not)."""
        self._control.close()
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT_S):
                await self._process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            await self._process.wait()
