"""The template every sandbox is forked from, so that none pays for an interpreter start.

Started once per worker, as root, inside bubblewrap (the sandbox's filesystem view:
read-only, standard library only, no network), passed to ``python -I -S -c`` with the
runner's source, it imports what the runner imports (asyncio above all), then waits for
requests on a SOCK_SEQPACKET socket from the worker. It never runs a snippet: for each
request it forks a child that

1. joins the sandbox's cgroup (through descriptors the worker opened), then unshares
   mount, PID, network, IPC, UTS and cgroup namespaces, so the cgroup namespace's root
   is the sandbox's own group;
2. forks PID 1 of the new namespace, which sends the worker a pidfd of itself (the
   worker's handle: its end, and killing it ends the namespace), and waits for it (a
   parent-death signal chains each to the one before it: worker -> bwrap -> zygote ->
   child -> PID 1);
3. as PID 1: mounts its own /proc, /tmp and /dev/shm, brings up loopback, names the
   host, keeps only the capabilities the runner needs, sets no_new_privs, loads the
   seccomp filter, and becomes the runner (runner.py), which forks the snippet.

Arguments: control_fd seccomp_fd tmp_bytes. A request is the sandbox's parameters as
ASCII integers (uid, nproc, fsize, nofile, address_space), with these descriptors:
stdin, stdout, stderr, code, status, stop, reply, then one cgroup.procs per hierarchy.
"""

import ctypes
import fcntl
import gc
import os
import signal
import socket
import struct
import sys
from typing import Any

CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS = 0x00020000, 0x02000000, 0x04000000
CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET = 0x08000000, 0x20000000, 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID
NAMESPACES |= CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 1, 38, 22, 2
SIOCSIFFLAGS, IFF_UP = 0x8914, 1
# What PID 1 keeps: drop root for the snippet (SETUID, SETGID), end it (KILL).
RUNNER_CAPABILITIES = (5, 6, 7)  # CAP_KILL, CAP_SETGID, CAP_SETUID
READ_ONLY_PROC = ("sys", "sysrq-trigger", "irq", "bus")
MAX_FDS = 16  # per request
HIGH_FD = 1000  # above every descriptor a request brings
HOSTNAME = b"sandbox"

libc = ctypes.CDLL(None, use_errno=True)
runner: dict[str, Any] = {"__name__": "runner"}


def check(result: int, what: str) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")
    return result


def main() -> None:
    control_fd, seccomp_fd, tmp_bytes = map(int, sys.argv[1:4])
    exec(compile(sys.argv[4], "runner", "exec"), runner)  # imports asyncio once, here
    gc.freeze()  # never collected, so never written to (and copied) in a sandbox
    with os.fdopen(seccomp_fd, "rb") as bpf:
        seccomp = bpf.read()
    # Reaped as they end, so that their CPU time adds to the zygote's children's
    # (what bench/sandbox_cpu.py reads in /proc).
    signal.signal(signal.SIGCHLD, reap)
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, 256, MAX_FDS)
        except ConnectionResetError:
            return
        if not message:  # the worker is gone
            return
        if os.fork() == 0:
            try:
                control.close()
                start_sandbox(message, fds, seccomp, tmp_bytes)
            finally:
                os._exit(1)
        for fd in fds:
            os.close(fd)


def reap(*_: object) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def start_sandbox(message: bytes, fds: list[int], seccomp: bytes, tmp_bytes: int) -> None:
    """Step 1 and 2 (see the module's docstring); never returns."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    stdin, stdout, stderr, code, status, stop, reply, *procs_files = fds
    for procs in procs_files:
        os.write(procs, b"0")  # "0": the writer itself
        os.close(procs)
    check(libc.unshare(NAMESPACES), "unshare")
    pid_1 = os.fork()
    if pid_1 == 0:
        try:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            pidfd = os.pidfd_open(os.getpid())
            with socket.socket(fileno=reply) as answer:
                socket.send_fds(answer, [b"."], [pidfd])
            os.close(pidfd)
            kept = [fcntl.fcntl(fd, fcntl.F_DUPFD, HIGH_FD) for fd in (code, status, stop)]
            for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
                os.dup2(fd, target)
            os.closerange(3, HIGH_FD)
            for number, fd in enumerate(kept, start=3):
                os.dup2(fd, number)
            os.closerange(HIGH_FD, os.sysconf("SC_OPEN_MAX"))
            become_pid_1(seccomp, tmp_bytes)
            runner["main"](["3", "4", "5", *message.decode().split()])
        finally:
            os._exit(1)
    os.close(reply)
    os.waitpid(pid_1, 0)
    os._exit(0)


def mount(source: str, target: str, fstype: str, flags: int, data: str = "") -> None:
    check(
        libc.mount(source.encode(), target.encode(), fstype.encode(), flags, data.encode()),
        f"mount {target}",
    )


def become_pid_1(seccomp: bytes, tmp_bytes: int) -> None:
    """Step 3 (see the module's docstring), up to the runner."""
    os.setsid()
    mount("none", "/", "", MS_REC | MS_PRIVATE)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in READ_ONLY_PROC:
        path = f"/proc/{name}"
        if os.path.exists(path):
            mount(path, path, "", MS_BIND | MS_REC)
            mount(path, path, "", MS_BIND | MS_REMOUNT | MS_RDONLY)
    for path in ("/tmp", "/dev/shm"):
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={tmp_bytes}")
    os.chdir("/tmp")
    check(libc.sethostname(HOSTNAME, len(HOSTNAME)), "sethostname")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH", b"lo", IFF_UP))
    keep_only(RUNNER_CAPABILITIES)
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    program = ctypes.create_string_buffer(seccomp, len(seccomp))
    fprog = struct.pack("HL", len(seccomp) // 8, ctypes.addressof(program))
    check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, fprog, 0, 0), "seccomp")


def keep_only(capabilities: tuple[int, ...]) -> None:
    """Effective and permitted: ``capabilities``; inheritable: none. (The runner empties
    the bounding set, which needs CAP_SETPCAP: kept until then.)"""
    words = [0, 0]
    for capability in (*capabilities, 8):  # 8: CAP_SETPCAP, dropped by the runner
        words[capability // 32] |= 1 << (capability % 32)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    sets = (ctypes.c_uint32 * 6)(words[0], words[0], 0, words[1], words[1], 0)
    check(libc.capset(header, sets), "capset")


if __name__ == "__main__":
    main()
