"""``python -m bot ...``: the exit codes of docs/ARCHITECTURE.md, one line per problem.

0 ok, 1 failure, 2 usage or configuration error (3: the sandbox refuses to run without
isolation). A bad setting in any command is one line, never a traceback.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.cli import run_bot

COMMANDS = [
    ["content", "check"],
    ["run"],
    ["health"],
    ["db", "backup", "x.sqlite3"],
    ["console"],
    ["up"],
    ["sandbox"],
]


def bot(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bot(args, tmp_path / "t.sqlite3", **env)


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_bad_setting_is_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    done = bot(args, tmp_path, TUTOR_SANDBOX_PORT="abc")
    assert done.returncode == 2
    assert (
        done.stderr == "configuration error: setting 'sandbox_port' must be an integer, got 'abc'\n"
    )


def test_a_broken_config_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("sandbox_port: [unclosed\n")
    done = bot(["console"], tmp_path, TUTOR_CONFIG=str(config))
    assert done.returncode == 2
    assert done.stderr.startswith("configuration error: ") and done.stderr.count("\n") == 1


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert bot(["nonsense"], tmp_path).returncode == 2
    assert bot(["console", "--colour"], tmp_path).returncode == 2


def test_a_missing_course_folder_is_named(tmp_path: Path) -> None:
    done = bot(["content", "check", str(tmp_path / "nowhere")], tmp_path)
    assert (done.returncode, done.stderr) == (1, f"no course folder at {tmp_path}/nowhere\n")


def test_a_sandbox_port_in_use_is_one_line_with_a_hint(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = bot(["sandbox", "--port", str(port), "--prewarm", "0"], tmp_path)
    assert done.returncode == 1
    assert f"sandbox: cannot listen on 127.0.0.1:{port}: address already in use" in done.stderr
    assert "TUTOR_SANDBOX_PORT" in done.stderr and "Traceback" not in done.stderr
