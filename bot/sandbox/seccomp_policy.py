"""The syscall filter every snippet runs under, exported as BPF for ``bwrap --seccomp``.

A snippet needs files, memory, threads, pipes and loopback sockets; it never needs to
debug other processes, make namespaces or mounts, load kernel code, or reach the kernel
interfaces with the worst bug record (bpf, perf, io_uring, userfaultfd, keyrings).
Those calls fail with EPERM; everything else is allowed, so ordinary Python works.

The binding (Debian's ``python3-seccomp``) is installed for the system interpreter, not
for the bot's virtualenv, so the worker runs this file as a script with an interpreter
that has it and reads the BPF program from its stdout.
"""

from __future__ import annotations

import asyncio
import errno
import sys
from pathlib import Path
from typing import Any

DENIED = (
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # namespaces, mounts and root changes
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr",
    "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    # the kernel itself: modules, kexec, reboot, swap, clocks, accounting, logs
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "reboot", "swapon", "swapoff", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "acct", "quotactl", "syslog", "sethostname", "setdomainname", "vhangup",
    "iopl", "ioperm", "uselib", "ustat", "sysfs", "lookup_dcookie",
    # large attack surface that a snippet has no use for
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "add_key", "request_key", "keyctl", "fanotify_init",
    "open_by_handle_at", "name_to_handle_at",
    # NUMA placement (Docker also reserves these to CAP_SYS_NICE)
    "mbind", "set_mempolicy", "migrate_pages", "move_pages",
)  # fmt: skip

# clone() flags that would create namespaces (clone3 hides its flags in memory, so it
# answers ENOSYS and the C library falls back to clone).
NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)

# socket() and socketpair() families: AF_UNIX (1), AF_INET (2) and AF_INET6 (10) only;
# no netlink, raw packets, crypto API or vsock.
ALLOWED_FAMILIES = (1, 2, 10)
HIGHEST_CHECKED_FAMILY = 10


def build_filter() -> Any:  # a seccomp.SyscallFilter: the binding has no type stubs
    import seccomp

    policy = seccomp.SyscallFilter(defaction=seccomp.ALLOW)  # other arches: KILL
    deny = seccomp.ERRNO(errno.EPERM)
    for name in DENIED:
        policy.add_rule(deny, name)
    for flag in NAMESPACE_FLAGS:
        policy.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    policy.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    no_family = seccomp.ERRNO(errno.EAFNOSUPPORT)
    for call in ("socket", "socketpair"):  # both take the family first
        for family in range(HIGHEST_CHECKED_FAMILY + 1):
            if family not in ALLOWED_FAMILIES:
                policy.add_rule(no_family, call, seccomp.Arg(0, seccomp.EQ, family))
        policy.add_rule(no_family, call, seccomp.Arg(0, seccomp.GT, HIGHEST_CHECKED_FAMILY))
    return policy


class SeccompUnavailable(Exception):
    """No interpreter on this machine can build the filter."""


INTERPRETERS = (sys.executable, "/usr/bin/python3")


async def compile_policy() -> bytes:
    """The BPF program, built by the first interpreter that has the seccomp binding."""
    failures = []
    for interpreter in dict.fromkeys(INTERPRETERS):
        try:
            process = await asyncio.create_subprocess_exec(
                interpreter,
                "-I",
                str(Path(__file__)),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            failures.append(f"{interpreter}: {exc}")
            continue
        bpf, error = await process.communicate()
        if process.returncode == 0 and bpf:
            return bpf
        last_line = (error.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        failures.append(f"{interpreter}: {last_line}")
    raise SeccompUnavailable(
        "cannot build the seccomp filter (install python3-seccomp): " + "; ".join(failures)
    )


if __name__ == "__main__":
    build_filter().export_bpf(sys.stdout)
