"""The console on a real terminal (a pseudo-terminal): prompt, Ctrl-C and Ctrl-D.

A newcomer pressed Ctrl-C at the prompt and the console seemed to hang; on a terminal
Ctrl-C must drop what was typed, twice in a row (or Ctrl-D) quit with a newline.
"""

from __future__ import annotations

import os
import pty
import select
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

CTRL_C, CTRL_D = b"\x03", b"\x04"
PATIENCE_S = 120.0  # only a guard against a hung test, never a speed requirement
# The kernel function a thread sleeps in while select()/poll() waits for the keyboard.
WAITING_FOR_INPUT = ("poll_schedule_timeout", "do_select", "do_sys_poll", "core_sys_select")


class Terminal:
    def __init__(self, db: Path) -> None:
        env = {"TUTOR_DB": str(db), "PATH": "/usr/bin:/bin", "TERM": "dumb", "HOME": str(db.parent)}
        env["TUTOR_SANDBOX_URL"] = "http://127.0.0.1:9"  # no worker: nothing to wait for
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the console, with the terminal as its own
            os.chdir(ROOT)
            os.execve(
                sys.executable, [sys.executable, "-m", "bot", "console", "--user", "ada"], env
            )
        self.seen = b""
        self.position = 0  # what expect() has matched so far

    def expect(self, text: str) -> str:
        """Read until ``text`` is printed after what the last expect matched; returns
        everything read so far."""
        wanted = text.encode()
        while wanted not in self.seen[self.position :]:
            ready, _, _ = select.select([self.fd], [], [], PATIENCE_S)
            if not ready:
                raise AssertionError(f"never printed {text!r}; got {self.seen.decode()!r}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the console exited: nothing more to read
                chunk = b""
            if not chunk:
                raise AssertionError(f"exited before {text!r}; got {self.seen.decode()!r}")
            self.seen += chunk
        self.position = self.seen.index(wanted, self.position) + len(wanted)
        return self.seen.decode()

    def read_to_end(self) -> str:
        """Everything printed until the console exits."""
        while True:
            ready, _, _ = select.select([self.fd], [], [], PATIENCE_S)
            if not ready:
                raise AssertionError(f"never exited; got {self.seen.decode()!r}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                return self.seen.decode()
            self.seen += chunk

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def interrupt(self) -> None:
        """Ctrl-C once the console waits for the keyboard (blocked in select), as a person
        would press it; a signal a few microseconds earlier would reach readline between
        two reads, a window no one can type into."""
        wchan = Path(f"/proc/{self.pid}/task/{self.pid}/wchan")
        while not any(w in wchan.read_text() for w in WAITING_FOR_INPUT):
            time.sleep(0.001)  # polling a condition, not waiting for a guessed time
        self.type(CTRL_C)

    def exit_code(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


@pytest.fixture
def terminal(tmp_path):
    term = Terminal(tmp_path / "t.sqlite3")
    yield term
    try:
        os.kill(term.pid, 9)
        os.waitpid(term.pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    os.close(term.fd)


def test_ctrl_c_drops_the_typed_line_and_twice_quits(terminal) -> None:
    terminal.expect("ada> ")
    terminal.type(b"/lessons half typed")
    terminal.expect("half typed")
    terminal.interrupt()
    terminal.expect("(Ctrl-C again or Ctrl-D to quit)")
    terminal.expect("ada> ")
    terminal.type(b"/lessons\n")
    terminal.expect("Read one with /lesson")
    terminal.expect("ada> ")
    terminal.interrupt()
    terminal.expect("(Ctrl-C again or Ctrl-D to quit)")
    terminal.expect("ada> ")
    terminal.interrupt()
    assert terminal.read_to_end().endswith("\r\n")  # the shell's prompt starts on a new line
    assert terminal.exit_code() == 0


def test_ctrl_d_quits_with_a_newline(terminal) -> None:
    terminal.expect("ada> ")
    terminal.type(CTRL_D)
    assert terminal.read_to_end().endswith("\r\n")
    assert terminal.exit_code() == 0


def test_the_code_prompt_differs_from_the_command_prompt(terminal) -> None:
    terminal.expect("ada> ")
    terminal.type(b"/run\n")
    terminal.expect("... ")
    terminal.type(b".cancel\n")
    terminal.expect("Cancelled; nothing was run.")
    terminal.type(b"/quit\n")
    assert terminal.exit_code() == 0
