"""How a snippet's process is confined: bubblewrap namespaces, a private filesystem view,
a seccomp filter, and its own unprivileged uid; or nothing at all in ``--unsafe-dev``.

Started as root, bubblewrap runs privileged and creates no user namespace (the kernel's
largest attack surface for unprivileged code): it binds the interpreter while it can
still read /root, and the runner inside drops to a uid of its own for each sandbox, so
per-user rlimits such as RLIMIT_NPROC count one snippet only. Those uids are leased:
each has a lock file under /run/tutor-sandbox, locked (flock) for as long as the worker
lives, so two workers on one host never share one (the kernel drops the lock when a
worker dies). Started as another user, bubblewrap works unprivileged inside a user
namespace, which it then disables.

The snippet sees the interpreter with its standard library only (site-packages is an
empty folder), a /dev without terminals (no /dev/ptmx: the host's PTYs are a shared,
small pool), and has no capability, not even in its bounding set.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import shutil
import signal
import sys
import sysconfig
from pathlib import Path, PurePosixPath
from typing import Any

from bot.sandbox.limits import Limits
from bot.sandbox.seccomp_policy import SeccompUnavailable, compile_policy
from bot.sandbox.zygote_client import Zygote

log = logging.getLogger(__name__)

SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = {
    # "localhost" must resolve for students' asyncio servers; glibc without nsswitch.conf
    # asks DNS first and gives up when there is none.
    "/etc/hosts": b"127.0.0.1 localhost\n::1 localhost ip6-localhost\n",
    "/etc/nsswitch.conf": b"hosts: files\n",
}
HOSTNAME = "sandbox"
SANDBOX_UIDS = range(61000, 63048)  # one per live sandbox; unused by Debian's accounts
UID_LOCKS = Path("/run/tutor-sandbox")  # one lock file per uid in use by a worker
DEVICES = ("null", "zero", "full", "random", "urandom")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2"}  # fmt: skip
PROC_REFUSED = "Can't mount proc"  # bubblewrap's words when the kernel refuses a procfs
CAP_LAST_CAP = "/proc/sys/kernel/cap_last_cap"  # the runner reads it to drop capabilities
# What the runner needs: to empty the bounding set, drop root in the snippet, end the
# snippet's processes; the zygote also needs to make namespaces and mounts, and bring up
# their loopback.
RUNNER_CAPABILITIES = ("CAP_SETPCAP", "CAP_SETUID", "CAP_SETGID", "CAP_KILL")
ZYGOTE_CAPABILITIES = (*RUNNER_CAPABILITIES, "CAP_SYS_ADMIN", "CAP_NET_ADMIN")
INSTALL_HINT = (
    "install bubblewrap and python3-seccomp (scripts/install-system-deps.sh does it), "
    "or start with --unsafe-dev on a development machine only"
)


class IsolationUnavailable(Exception):
    """This machine cannot confine snippets; the worker must not start."""


class Isolation:
    """What the rest of the worker asks of an isolation; on its own, the ``--unsafe-dev``
    fallback: the command runs as it is, unprotected (only the runner's rlimits)."""

    name = "none (--unsafe-dev)"
    unsafe = True
    zygote: Zygote | None = None  # sandboxes are forked from it when there is one

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def wrap(self, command: list[str]) -> tuple[list[str], list[int]]:
        """The full command line, and the descriptors it needs (closed after spawning).
        Called off the event loop, for every sandbox."""
        return command, []

    def take_uid(self) -> int:
        """The uid the runner switches to (-1: stay)."""
        return -1

    def give_back_uid(self, uid: int) -> None:
        """Called once every process that used ``uid`` is gone."""

    async def close(self) -> None:
        """Give back what the worker holds for its lifetime (zygote, uids)."""

    def runner_pid(self, pid: int) -> int:
        """The runner's PID, given the PID of the process that was started."""
        return pid

    def kill(self, pid: int) -> None:
        """Kill everything the sandbox started; ``pid`` leads a session, and is alive or
        a zombie not yet reaped (so the number cannot belong to anyone else)."""
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason}


class Bubblewrap(Isolation):
    name = "bubblewrap"
    unsafe = False

    def __init__(
        self, bwrap: str, seccomp_bpf: bytes, limits: Limits, uids: int, fresh_proc: bool = True
    ) -> None:
        super().__init__()
        self._seccomp_bpf = seccomp_bpf
        self._as_root = os.geteuid() == 0
        self.fresh_proc = fresh_proc
        self._leases = lease_uids(uids) if self._as_root else {}
        self._free_uids = sorted(self._leases, reverse=True)
        self._bwrap = bwrap
        self._prefix = [bwrap, *self._static_arguments(limits, RUNNER_CAPABILITIES)]

    def _static_arguments(self, limits: Limits, capabilities: tuple[str, ...]) -> list[str]:
        args = [
            "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", HOSTNAME,
            "--die-with-parent",  # the sandbox dies with bwrap, whatever kills it
            "--as-pid-1",  # the runner: the snippet cannot signal it, all dies with it
            "--new-session",  # no terminal to push keystrokes into
        ]  # fmt: skip
        if self._as_root:  # all capabilities gone, except those named
            args += ["--cap-drop", "ALL"]
            for capability in capabilities:
                args += ["--cap-add", capability]
        else:
            args += ["--unshare-user"]
            # --disable-userns writes /proc/sys, read-only where /proc has parts hidden;
            # the seccomp filter refuses new namespaces either way.
            args += ["--disable-userns"] if self.fresh_proc else []
        args += ["--ro-bind", "/usr", "/usr"]
        for name in SYSTEM_DIRS:
            if os.path.islink(name):
                args += ["--symlink", os.readlink(name), name]
            elif os.path.isdir(name):
                args += ["--ro-bind", name, name]
        args += _interpreter_binds()
        # A fresh /proc shows only the sandbox's own processes; where the kernel refuses
        # one (see _bubblewrap), /proc is a folder of the read-only root holding only
        # what the runner reads, bound read-only from the worker's own /proc.
        if self.fresh_proc:
            args += ["--proc", "/proc"]
        else:
            args += ["--dir", "/proc", "--ro-bind", CAP_LAST_CAP, CAP_LAST_CAP]
        args += ["--perms", "0755", "--size", "65536", "--tmpfs", "/dev"]
        for name in DEVICES:
            args += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
        for name, target in DEV_LINKS.items():
            args += ["--symlink", target, f"/dev/{name}"]
        args += ["--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
        args += ["--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm"]
        args += ["--chdir", "/tmp"]
        return args

    def wrap(self, command: list[str]) -> tuple[list[str], list[int]]:
        args, fds = self._with_files(self._prefix)
        fds.append(_pipe_with(self._seccomp_bpf))
        args += ["--seccomp", str(fds[-1]), "--", *command]
        return args, fds

    def _with_files(self, prefix: list[str]) -> tuple[list[str], list[int]]:
        fds: list[int] = []
        args = list(prefix)
        for path, content in ETC_FILES.items():
            fds.append(_pipe_with(content))
            args += ["--perms", "0444", "--ro-bind-data", str(fds[-1]), path]
        args += ["--remount-ro", "/"]  # after the last file is put in place
        return args, fds

    async def start_zygote(self, limits: Limits) -> None:
        """As root: every sandbox will be forked from a zygote, in this same view (it
        loads the seccomp filter in each sandbox itself)."""
        prefix = [self._bwrap, *self._static_arguments(limits, ZYGOTE_CAPABILITIES)]
        args, fds = self._with_files(prefix)
        self.zygote = await Zygote.start(
            [*args, "--"], fds, interpreter(), self._seccomp_bpf, limits.tmp_bytes
        )

    def take_uid(self) -> int:
        if not self._as_root:
            return -1
        if not self._free_uids:
            raise RuntimeError("no sandbox uid left")  # bounded by pool + prewarm size
        return self._free_uids.pop()

    def give_back_uid(self, uid: int) -> None:
        if uid >= 0:
            self._free_uids.append(uid)

    async def close(self) -> None:
        if self.zygote is not None:
            await self.zygote.close()
            self.zygote = None
        while self._leases:
            os.close(self._leases.popitem()[1])
        self._free_uids = []

    def runner_pid(self, pid: int) -> int:
        """bwrap's only child: the runner, PID 1 of its namespace (or bwrap itself if
        it has not forked yet, or its child is gone)."""
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return int(children[0]) if children else pid

    def kill(self, pid: int) -> None:
        """Kill the runner, PID 1 of its namespace: the kernel then kills everything
        else in there, and bwrap reaps it, which keeps the CPU figures."""
        try:
            os.kill(self.runner_pid(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "privileged": self._as_root,
            "namespaces": ["mount", "pid", "net", "ipc", "uts", "cgroup"]
            + ([] if self._as_root else ["user"]),
            "seccomp": True,
            "forked_from_zygote": self.zygote is not None,
            "proc": "fresh" if self.fresh_proc else "minimal",
        }


def lease_uids(count: int, folder: Path = UID_LOCKS) -> dict[int, int]:
    """``count`` uids no other worker holds: uid -> the descriptor holding its lock."""
    leases: dict[int, int] = {}
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise IsolationUnavailable(f"cannot keep the sandbox uids' locks: {exc}") from exc
    for uid in SANDBOX_UIDS:
        if len(leases) == count:
            return leases
        fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another worker's
            os.close(fd)
            continue
        leases[uid] = fd
    for fd in leases.values():
        os.close(fd)
    raise IsolationUnavailable(
        f"no {count} free sandbox uids in {SANDBOX_UIDS.start}-{SANDBOX_UIDS.stop - 1}: "
        f"other workers hold them (locks in {folder})"
    )


def interpreter() -> str:
    """The bot's own interpreter binary (not a venv link or a pyenv shim)."""
    return os.path.realpath(sys.executable)


def _interpreter_binds() -> list[str]:
    """Bind the interpreter, its shared library and standard library at their own paths
    (its RUNPATH may be absolute); parent folders are made world-searchable even when
    the originals are not (pyenv under /root)."""
    paths = [interpreter(), sysconfig.get_paths()["stdlib"]]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir, soname = sysconfig.get_config_vars("LIBDIR", "INSTSONAME")
        paths.append(os.path.join(libdir, soname))
    args: list[str] = []
    made: set[PurePosixPath] = set()
    for path in map(PurePosixPath, paths):
        if path.is_relative_to("/usr"):
            continue
        for parent in reversed(path.parents[:-1]):
            if parent not in made:
                made.add(parent)
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(path), str(path)]
    for installed in ("site-packages", "dist-packages"):  # only the standard library
        folder = os.path.join(sysconfig.get_paths()["stdlib"], installed)
        if os.path.isdir(folder):
            args += ["--perms", "0555", "--size", "4096", "--tmpfs", folder]
            args += ["--remount-ro", folder]
    return args


def _pipe_with(content: bytes) -> int:
    """A pipe's read end that yields ``content`` then EOF (content fits in the pipe)."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, content)
    finally:
        os.close(write_end)
    return read_end


async def choose_isolation(limits: Limits, unsafe_dev: bool, uids: int) -> Isolation:
    """Bubblewrap if it works here (with ``uids`` uids of its own, as root); otherwise
    the unsafe fallback if allowed, else refuse."""
    try:
        return await _bubblewrap(limits, uids)
    except IsolationUnavailable as exc:
        if not unsafe_dev:
            raise
        log.warning("UNSAFE: snippets will run without isolation (%s)", exc)
        return Isolation(str(exc))


async def _bubblewrap(limits: Limits, uids: int) -> Bubblewrap:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise IsolationUnavailable(f"bubblewrap (bwrap) is not installed; {INSTALL_HINT}")
    try:
        bpf = await compile_policy()
    except SeccompUnavailable as exc:
        raise IsolationUnavailable(f"{exc}; {INSTALL_HINT}") from exc
    isolation = Bubblewrap(bwrap, bpf, limits, uids)
    try:
        try:
            await _probe(isolation)
        except IsolationUnavailable as exc:
            if PROC_REFUSED not in str(exc):
                raise
            # A container whose /proc has parts hidden (Docker's default masked paths):
            # the kernel lets a user namespace mount a new procfs only where one is fully
            # visible. Snippets then get a minimal /proc, which reveals even less, and
            # new user namespaces are refused by the seccomp filter alone.
            await isolation.close()
            isolation = Bubblewrap(bwrap, bpf, limits, uids, fresh_proc=False)
            await _probe(isolation)
            log.warning("no fresh /proc here (%s): snippets get a minimal one", exc)
        if os.geteuid() == 0:
            await isolation.start_zygote(limits)
    except BaseException:
        await isolation.close()
        raise
    return isolation


async def _probe(isolation: Bubblewrap) -> None:
    """Start one confined interpreter, so a machine that forbids namespaces is caught
    at start-up rather than on the first student's run."""
    argv, fds = isolation.wrap([interpreter(), "-I", "-S", "-c", "import asyncio"])
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, pass_fds=fds, env={}, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
    finally:
        for fd in fds:
            os.close(fd)
    _, error = await process.communicate()
    if process.returncode != 0:
        detail = error.decode(errors="replace").strip() or f"exit status {process.returncode}"
        raise IsolationUnavailable(f"bubblewrap cannot create a sandbox here: {detail}")
