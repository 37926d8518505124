"""Hostile snippets: each is contained, and the worker answers the next request normally.

Nothing here sends traffic anywhere but to loopback.
"""

from __future__ import annotations

import asyncio
import errno
import os
import sqlite3
import sysconfig
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.sandbox.isolation import interpreter
from bot.sandbox.limits import Limits
from tests.sandbox_helpers import (
    QUICK,
    Endpoint,
    Sandbox,
    processes_with,
    remote_sandbox,
    running_sandbox,
    wait_until,
    worker_process,
)

ROOT = Path(__file__).resolve().parent.parent
SECRET = "tutor-secret-token-7f3a"
# Snippets that end by themselves (killed for memory, stopped by a limit they hit) get
# this long, so a busy machine never turns their result into a timeout; snippets that
# never end ask for QUICK.
ROOMY = Limits(wall_s=60)
# The suite attacks the worker at this URL instead of one it starts: the deploy test
# (tests/deploy/) points it at the sandbox container, started with SECRET in its
# environment and the worker's default limits.
WORKER_URL = os.environ.get("TUTOR_TEST_SANDBOX_URL", "")


@pytest.fixture
async def sandbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Endpoint]:
    if WORKER_URL:
        async with remote_sandbox(WORKER_URL) as remote:
            yield remote
        return
    monkeypatch.setenv("DISCORD_TOKEN", SECRET)  # in the worker's environment
    async with running_sandbox(ROOMY) as running:
        yield running


async def hostile(sandbox: Endpoint, code: str, **fields: object) -> dict:
    """Run ``code``, then check the worker still serves normally."""
    result = await sandbox.run(code, **fields)
    await sandbox.assert_still_serving()
    return result


async def test_a_fork_bomb_hits_the_process_limit(sandbox: Sandbox) -> None:
    code = "import os\nwhile True:\n    os.fork()"
    result = await hostile(sandbox, code)  # ends when the runner itself cannot fork
    assert result["exit_code"] != 0
    assert "BlockingIOError" in result["stderr"] or result["memory_exceeded"]


async def test_a_thread_bomb_hits_the_process_limit(sandbox: Sandbox) -> None:
    code = """
import threading, time
started = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        started += 1
except RuntimeError as exc:
    print(started, exc)
"""
    result = await hostile(sandbox, code)
    started, _, message = result["stdout"].partition(" ")
    assert int(started) < 64
    assert "can't start new thread" in message


async def test_a_memory_bomb_is_killed_and_flagged(sandbox: Sandbox) -> None:
    result = await hostile(sandbox, "x = bytearray(512 * 1024 * 1024)")
    assert result["memory_exceeded"] is True
    assert result["exit_code"] is None


async def test_a_growing_list_is_killed_and_flagged(sandbox: Sandbox) -> None:
    result = await hostile(sandbox, "x = []\nwhile True:\n    x.append(' ' * 4096)")
    assert result["memory_exceeded"] is True
    # 128 MiB for what the snippet allocates, on top of the interpreter's start-up
    assert 128 * 1024 <= result["peak_memory_kb"] <= 150 * 1024


async def test_an_infinite_loop_is_stopped_by_the_wall_clock(sandbox: Sandbox) -> None:
    # Half a second of wall clock: the CPU limit (whole seconds, at least 1) cannot come
    # first, since a single thread uses at most as much CPU time as time passes.
    result = await hostile(sandbox, "while True:\n    pass", timeout_s=0.5)
    assert result["timed_out"] is True
    assert result["exit_code"] is None
    assert result["wall_ms"] >= 500


async def test_sleeping_for_an_hour_is_stopped_by_the_wall_clock(sandbox: Sandbox) -> None:
    result = await hostile(sandbox, "import time\ntime.sleep(3600)", timeout_s=QUICK)
    assert result["timed_out"] is True
    assert result["cpu_ms"] < 100


async def test_an_asyncio_task_that_never_ends_is_stopped(sandbox: Sandbox) -> None:
    code = """
import asyncio

async def forever():
    await asyncio.Event().wait()

async def main():
    await asyncio.gather(asyncio.create_task(forever()))

asyncio.run(main())
"""
    result = await hostile(sandbox, code, timeout_s=QUICK)
    assert result["timed_out"] is True


async def test_printing_100_mb_keeps_64_kib_per_stream(sandbox: Sandbox) -> None:
    code = "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000)"
    result = await hostile(sandbox, code)
    assert result["output_truncated"] is True
    assert result["stdout"] == "x" * 64 * 1024
    assert result["exit_code"] == 0


async def test_no_environment_reaches_the_snippet(sandbox: Sandbox) -> None:
    code = """
import os
print(dict(os.environ))
for pid in ["self", "1", *sorted(p for p in os.listdir("/proc") if p.isdigit())]:
    try:
        print(pid, open(f"/proc/{pid}/environ", "rb").read())
    except OSError as exc:
        print(pid, type(exc).__name__)
"""
    result = await hostile(sandbox, code)
    assert SECRET not in result["stdout"]
    assert "DISCORD_TOKEN" not in result["stdout"]
    assert "PATH" not in result["stdout"] and "HOME" not in result["stdout"]
    assert result["exit_code"] == 0


async def test_the_hosts_files_are_not_visible(sandbox: Sandbox, tmp_path: Path) -> None:
    database = tmp_path / "tutor.sqlite3"
    sqlite3.connect(database).close()
    config = tmp_path / "config.yaml"
    config.write_text(f"discord_token: {SECRET}\n")
    targets = ["/etc/shadow", "/etc/passwd", database, config, ROOT / "pyproject.toml", ROOT]
    code = f"""
import os
for path in {[str(t) for t in targets]!r}:
    print(path, os.path.exists(path))
home = {str(Path.home())!r}
print("home", sorted(os.listdir(home)) if os.path.isdir(home) else [])
"""
    result = await hostile(sandbox, code)
    lines = result["stdout"].splitlines()
    assert lines[: len(targets)] == [f"{t} False" for t in targets]
    # At most the folder that leads to the interpreter, bound read-only (pyenv).
    python = Path(interpreter())
    if WORKER_URL:  # the worker's own interpreter, as the snippet sees it
        python = Path((await sandbox.run("import sys\nprint(sys.executable)"))["stdout"].strip())
    allowed = (
        [python.relative_to(Path.home()).parts[0]] if python.is_relative_to(Path.home()) else []
    )
    assert lines[-1] == f"home {allowed}"


async def test_nothing_outside_tmp_is_writable(sandbox: Sandbox) -> None:
    code = """
import os
for folder in ["/", "/usr", "/etc", "/root", "/home", "/var", "/dev", "/proc/sys/kernel"]:
    try:
        with open(os.path.join(folder, "written-by-snippet"), "w") as f:
            f.write("x")
        print(folder, "WRITTEN")
    except OSError as exc:
        print(folder, type(exc).__name__)
with open("/tmp/ok", "w") as f:
    print("/tmp", f.write("fine"))
print(os.getcwd())
"""
    result = await hostile(sandbox, code)
    assert "WRITTEN" not in result["stdout"]
    assert "/tmp 4\n/tmp\n" in result["stdout"]
    assert not Path("/written-by-snippet").exists()


async def test_filling_tmp_stops_at_its_size(sandbox: Sandbox) -> None:
    code = """
written = 0
try:
    with open("/tmp/big", "wb") as f:
        while True:
            written += f.write(b"x" * 1024 * 1024)
            f.flush()
except OSError as exc:
    print(written // (1024 * 1024), exc.strerror)
"""
    result = await hostile(sandbox, code)
    megabytes, _, error = result["stdout"].strip().partition(" ")
    assert int(megabytes) <= 16
    assert error in ("No space left on device", "File too large")


async def test_a_listener_on_the_hosts_loopback_is_unreachable(sandbox: Sandbox) -> None:
    connections: list[object] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    code = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=0.5)
    print("CONNECTED")
except OSError as exc:
    print(type(exc).__name__)
"""
    try:
        result = await hostile(sandbox, code)
    finally:
        server.close()
        await server.wait_closed()
    assert result["stdout"] == "ConnectionRefusedError\n"
    assert connections == []


async def test_the_only_network_interface_is_loopback(sandbox: Sandbox) -> None:
    code = """
import socket
try:
    print(sorted(name for _, name in socket.if_nameindex()))
except OSError:
    print(["(none listed)"])
try:
    with open("/proc/net/dev") as f:
        print(sorted(line.split(":")[0].strip() for line in f.readlines()[2:]))
except FileNotFoundError:
    print("no /proc/net/dev")
"""
    result = await hostile(sandbox, code)
    listed, in_proc = result["stdout"].splitlines()
    assert listed in ("['lo']", "['(none listed)']")
    # A minimal /proc where the kernel refuses a fresh one (a container, see isolation.py)
    fresh_proc = (await sandbox.health())["isolation"].get("proc", "fresh") == "fresh"
    assert in_proc == ("['lo']" if fresh_proc else "no /proc/net/dev")


async def test_killing_the_parent_and_pid_1_changes_nothing(sandbox: Sandbox) -> None:
    code = """
import os, signal
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as exc:
        print(pid, type(exc).__name__)
print("survived")
"""
    result = await hostile(sandbox, code)
    assert result["stdout"].endswith("survived\n")
    assert result["exit_code"] == 0


async def test_deep_recursion_is_a_recursion_error(sandbox: Sandbox) -> None:
    result = await hostile(sandbox, "def f(n):\n    return f(n + 1)\nf(0)")
    assert "RecursionError" in result["stderr"]
    assert result["exit_code"] == 1


async def test_unbounded_recursion_crashes_only_the_snippet(sandbox: Sandbox) -> None:
    code = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)"
    result = await hostile(sandbox, code)
    assert result["exit_code"] not in (0, None) or result["memory_exceeded"]


async def test_a_ctypes_segfault_reports_sigsegv(sandbox: Sandbox) -> None:
    result = await hostile(sandbox, "import ctypes\nctypes.string_at(0)")
    assert result["exit_code"] == -11


async def test_a_daemon_does_not_outlive_its_snippet(sandbox: Sandbox) -> None:
    marker = "4242.0023"
    code = f"""
import os, subprocess
subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{marker}"])
    os._exit(0)
print("parent leaves")
"""
    result = await hostile(sandbox, code)
    assert result["stdout"] == "parent leaves\n"
    assert processes_with(marker) == []


async def test_garbage_on_the_runners_pipes_only_spoils_its_own_result(sandbox: Sandbox) -> None:
    code = """
import os
for fd in range(3, 30):
    try:
        os.write(fd, b"X junk\\nX\\nR 1\\nM\\n" * 10_000)
    except OSError:
        pass
print("done")
"""
    result = await hostile(sandbox, code)
    assert result["stdout"] == "done\n"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        # Each of these would succeed, or fail differently, without the filter.
        ("libc.unshare(0x10000000) != -1 or error()", "[Errno 1]"),  # CLONE_NEWUSER
        ("socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)", "[Errno 97]"),
        ("socket.socket(socket.AF_PACKET, socket.SOCK_RAW)", "[Errno 97]"),
        # The kernel answers these with EOPNOTSUPP (95); the filter, before, with 97.
        ("socket.socketpair(socket.AF_NETLINK, socket.SOCK_RAW)", "[Errno 97]"),
        ("socket.socketpair(socket.AF_PACKET, socket.SOCK_RAW)", "[Errno 97]"),
        ("socket.socketpair(socket.AF_VSOCK, socket.SOCK_STREAM)", "[Errno 97]"),
        ("libc.ptrace(0, 0, 0, 0) != -1 or error()", "[Errno 1]"),  # PTRACE_TRACEME
        ("libc.syscall(298, 0, 0, -1, -1, 0) != -1 or error()", "[Errno 1]"),  # perf_event_open
        ("libc.syscall(250, 0, -2, 0) != -1 or error()", "[Errno 1]"),  # keyctl
        ("libc.syscall(425, 1, 0) != -1 or error()", "[Errno 1]"),  # io_uring_setup
    ],
)
async def test_the_seccomp_filter_denies_what_a_snippet_never_needs(
    sandbox: Sandbox, call: str, expected: str
) -> None:
    code = f"""
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
def error():
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
try:
    {call}
    print("ALLOWED")
except OSError as exc:
    print(exc)
"""
    result = await hostile(sandbox, code)
    assert result["stdout"].startswith(expected), result


@pytest.mark.parametrize(
    ("code", "exit_code"),
    [("os._exit(200)", 200), ("os._exit(137)", 137), ("os.abort()", -6), ("os._exit(0)", 0)],
)
async def test_the_exit_status_is_the_kernels_whatever_it_is(
    sandbox: Sandbox, code: str, exit_code: int
) -> None:
    result = await hostile(sandbox, f"import os\n{code}")
    assert result["exit_code"] == exit_code
    assert result["timed_out"] is False and result["memory_exceeded"] is False


async def test_lines_forged_on_every_descriptor_change_nothing_reported(sandbox: Sandbox) -> None:
    code = """
import os
print(open("/proc/self/cmdline", "rb").read().split(b"\\0")[-9:])
forged = b"R\\nX 0 1 1\\nX 0 1 1 1\\nM\\nX 1\\n" * 1000
for fd in range(3, 64):
    try:
        os.write(fd, forged)
    except OSError:
        pass
os._exit(5)
"""
    result = await hostile(sandbox, code)
    assert result["exit_code"] == 5
    assert result["memory_exceeded"] is False
    assert result["peak_memory_kb"] > 1000 and result["cpu_ms"] > 1


async def test_children_killed_at_the_timeout_keep_their_cpu_time(sandbox: Sandbox) -> None:
    # Each child says how much CPU it has used so far; the result counts at least that.
    code = """
import os, time
for child in range(3):
    if os.fork() == 0:
        step = 0.05
        while True:
            if time.process_time() >= step:
                print(child, step, flush=True)
                step += 0.05
time.sleep(3600)
"""
    result = await hostile(sandbox, code, timeout_s=2)
    assert result["timed_out"] is True
    used: dict[str, float] = {}
    for line in result["stdout"].splitlines():
        child, seconds = line.split()
        used[child] = max(used.get(child, 0.0), float(seconds))
    assert used, "no child got 50 ms of CPU in 2 s"
    assert result["cpu_ms"] >= 1000 * sum(used.values())


async def test_no_descriptor_of_the_worker_reaches_the_snippet(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # As if the worker's parent had left one open: `(exec 7>>file; python -m bot sandbox)`
    host_file = tmp_path / "host-file"
    host_file.write_text("")
    fd = os.open(host_file, os.O_WRONLY | os.O_APPEND)
    os.set_inheritable(fd, True)
    try:
        code = f"import os\ntry:\n    os.write({fd}, b'x')\nexcept OSError as exc:\n    print(exc)"
        result = await hostile(sandbox, code)
    finally:
        os.close(fd)
    assert result["stdout"] == "[Errno 9] Bad file descriptor\n"
    assert host_file.read_text() == ""


async def test_the_snippet_has_no_capability_and_sees_only_its_own_cgroup(
    sandbox: Sandbox,
) -> None:
    code = """
import sysconfig
status = dict(line.split(":\\t") for line in open("/proc/self/status").read().splitlines())
print(*(status[f"Cap{kind}"] for kind in ("Inh", "Prm", "Eff", "Bnd", "Amb")))
print(sorted({line.split(":", 2)[2] for line in open("/proc/self/cgroup").read().split()}))
"""
    result = await hostile(sandbox, code)
    capabilities, groups = result["stdout"].splitlines()
    assert capabilities.split() == ["0000000000000000"] * 5
    assert groups == "['/']"  # neither the worker's pid nor how many sandboxes it started


async def test_the_interpreter_comes_with_its_standard_library_only(sandbox: Sandbox) -> None:
    site_packages = Path(sysconfig.get_paths()["stdlib"]) / "site-packages"
    code = f"import os\nprint(os.listdir({str(site_packages)!r}))"
    result = await hostile(sandbox, code)
    # not empty outside (where this test runs: a remote worker's are out of sight)
    if not WORKER_URL and site_packages.is_dir() and any(site_packages.iterdir()):
        assert result["stdout"] == "[]\n"
    result = await hostile(sandbox, "import aiohttp")  # the bot's own dependency
    assert "ModuleNotFoundError" in result["stderr"]


async def test_there_are_no_terminals_to_exhaust(sandbox: Sandbox) -> None:
    code = """
import os
try:
    os.openpty()
    print("OPENED")
except OSError as exc:
    print(exc.errno)
"""
    result = await hostile(sandbox, code)
    assert result["stdout"] == f"{errno.ENOENT}\n"


async def test_two_workers_never_share_a_uid(sandbox: Sandbox) -> None:
    whose_uid = "import os; print(os.getuid())"
    async with worker_process("--prewarm", "2") as (_, url):
        other = Endpoint(url, sandbox.session)
        uids = {name: set() for name in ("here", "there")}
        for _ in range(4):
            uids["here"].add((await sandbox.run(whose_uid))["stdout"])
            uids["there"].add((await other.run(whose_uid))["stdout"])
    if uids["here"] == {"0\n"}:
        pytest.skip("not root: the sandbox keeps the worker's uid in a user namespace")
    assert uids["here"].isdisjoint(uids["there"])


async def test_killing_the_worker_kills_every_snippet_process() -> None:
    marker = "4242.0041"
    code = f"""
import os, subprocess, time
subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    os.execvp("sleep", ["sleep", "{marker}"])
time.sleep(3600)
"""
    async with worker_process("--prewarm", "0") as (worker, url):
        async with aiohttp.ClientSession() as session:
            request = asyncio.create_task(session.post(f"{url}/run", json={"code": code}))
            await wait_until(lambda: len(processes_with(marker)) == 2)
            worker.kill()  # SIGKILL: the worker cannot clean up
            await worker.wait()
            await asyncio.gather(request, return_exceptions=True)
    await wait_until(lambda: not processes_with(marker))


# Each fills one kind of kernel buffer and prints, as it goes, how many MiB it holds; it
# must never hold more than its 128 MiB limit (it is stopped at it, or cannot fill
# more), and the peak reported counts what it held.
FILL_PREAMBLE = """
import fcntl, os, socket
held = 0
def holding(more):
    global held
    held += more
    if held // 2**20 > (held - more) // 2**20:
        print(held // 2**20, flush=True)
"""
KERNEL_BUFFERS = {
    "tcp": """
server = socket.create_server(("127.0.0.1", 0), backlog=64)
keep = []
for _ in range(50):
    sender = socket.create_connection(server.getsockname())
    keep += [sender, server.accept()[0]]  # the receiver never reads
    sender.setblocking(False)
    try:
        while True:
            holding(sender.send(b"x" * 65536))
    except BlockingIOError:
        pass
""",
    "udp": """
keep = []
for _ in range(100):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    keep.append(receiver)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(200):
        sender.sendto(b"x" * 60000, receiver.getsockname())
    sender.close()
    with open("/proc/net/udp") as table:  # what the kernel holds for the receivers
        now = sum(int(line.split()[4].split(":")[1], 16) for line in table.readlines()[1:])
    holding(now - held)
""",
    "unix": """
keep = []
for _ in range(120):
    sender, receiver = socket.socketpair()
    keep += [sender, receiver]
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sender.setblocking(False)
    try:
        while True:
            holding(sender.send(b"x" * 65536))
    except BlockingIOError:
        pass
""",
    "pipe": """
keep = []
for _ in range(120):
    read_end, write_end = os.pipe()
    keep += [read_end, write_end]
    fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 1 << 20)
    os.set_blocking(write_end, False)
    try:
        while True:
            holding(os.write(write_end, b"x" * 65536))
    except BlockingIOError:
        pass
""",
}


@pytest.mark.parametrize("kind", KERNEL_BUFFERS)
async def test_kernel_buffers_count_against_the_memory_limit(sandbox: Sandbox, kind: str) -> None:
    if (await sandbox.health())["cgroups"] is None:
        pytest.skip("no writable cgroups on this machine: kernel buffers are not bounded")
    result = await hostile(sandbox, FILL_PREAMBLE + KERNEL_BUFFERS[kind])
    held_mib = int(result["stdout"].split()[-1]) if result["stdout"] else 0
    assert held_mib <= 128, result
    assert result["peak_memory_kb"] >= held_mib * 1024


NAMESPACES = ("pid", "net", "mnt", "ipc", "uts")


async def test_each_snippet_gets_a_fresh_process_and_fresh_namespaces(sandbox: Sandbox) -> None:
    """Namespaces of its own, not the worker's; and nothing an earlier snippet left in
    them: no module state, no file in /tmp, no process (one it started in the background
    is gone, and the snippet is pid 2 beside the sandbox's init). Namespace ids are not
    compared between snippets: the kernel reuses a freed namespace's id, so two snippets
    run one after the other often show the same id for two different namespaces."""
    code = f"""
import os, subprocess, sys
print(getattr(sys, "left_by_an_earlier_snippet", None))
sys.left_by_an_earlier_snippet = True
print(*(os.readlink(f"/proc/self/ns/{{kind}}") for kind in {NAMESPACES!r}))
print(os.getpid(), sorted(int(name) for name in os.listdir("/proc") if name.isdigit()))
open("/tmp/left-behind", "w").close()
print(os.listdir("/tmp"))
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""
    first, second = [(await sandbox.run(code))["stdout"].splitlines() for _ in range(2)]
    assert first[0] == second[0] == "None"
    assert first[2] == second[2] == "2 [1, 2]"
    assert first[3] == second[3] == "['left-behind']"
    # Locally the worker shares the test's namespaces; a container's are its own anyway.
    worker = [os.readlink(f"/proc/self/ns/{kind}") for kind in NAMESPACES]
    for snippet in (first, second):
        assert not set(snippet[1].split()) & set(worker)
