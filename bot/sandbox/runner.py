"""The first code run inside a sandbox: PID 1 of its namespace, it supervises the snippet.

Passed to ``python -I -S -c`` (standard library only, nothing slow to import), or run by
the zygote (zygote.py) in each sandbox it forks. It imports asyncio (which every lesson
uses, and which takes longer to import than the rest of a typical run), empties the
capability bounding and inheritable sets, says it is ready, then waits for the code on a
pipe, so sandboxes can be started ahead of time (each runs exactly one snippet). Then
it forks: the child closes the runner's pipes, sets the rlimits, drops root for the uid
it was given (with a parent-death signal set again afterwards: a uid
change clears it) and becomes the snippet; the runner stays root and waits.

Only the runner can write the status pipe, and the snippet runs as another uid, so what
it reports comes from the kernel and nothing else: the snippet's wait status, and the
CPU time and peak RSS of every process the snippet started. When the snippet ends, or
when the worker closes the stop pipe (its wall clock ran out), the runner kills every
other process of the namespace, reaps them all (their CPU time counts), reports, and
leaves; the kernel kills whatever could still be left when PID 1 is gone.

Arguments: code_fd status_fd stop_fd uid nproc fsize nofile address_space (uid -1:
keep the current one; address_space 0: no limit). The code pipe carries the CPU limit in
seconds, a newline, then the source. The status pipe gets READY, then REPORT with the
wait status, the CPU microseconds and the peak RSS in KiB.
"""

import asyncio  # noqa: F401 (imported ahead of the snippet, see above)
import atexit
import builtins
import ctypes
import gc
import os
import resource
import select
import signal
import sys

READY = b"R"
REPORT = b"X"
FILENAME = "<snippet>"
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
CAPABILITY_VERSION_3 = 0x20080522

libc = ctypes.CDLL(None, use_errno=True)


def main(arguments: list[str]) -> None:
    code_fd, status_fd, stop_fd, uid, *limits = map(int, arguments)
    # Not dumpable: where the snippet keeps the runner's uid (a user namespace), it
    # cannot open the runner's pipes through /proc/1/fd.
    prctl(PR_SET_DUMPABLE, 0)
    drop_spare_capabilities()
    os.write(status_fd, READY + b"\n")
    chunks = []
    while chunk := os.read(code_fd, 1 << 16):
        chunks.append(chunk)
    os.close(code_fd)
    cpu_s, source = b"".join(chunks).split(b"\n", 1)
    # Everything so far lives as long as the runner: out of the collector's sight, the
    # snippet's collections (at its exit, at least) do not copy every page it shares.
    gc.freeze()
    supervisor = os.getpid()
    snippet = os.fork()
    if snippet == 0:
        try:
            os.close(status_fd)
            os.close(stop_fd)
            become_snippet(supervisor, uid, int(cpu_s), *limits)
            module = type(sys)("__main__")
            sys.modules["__main__"] = module
            status = run(source.decode(), module)
            shut_down(module, status)
        finally:
            os._exit(1)  # only reached if the runner's own code failed
    supervise(snippet, stop_fd, status_fd)


def prctl(option: int, value: int) -> int:
    result: int = libc.prctl(option, value, 0, 0, 0)
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result


def drop_spare_capabilities() -> None:
    """Empty the bounding and inheritable sets: no capability can come back through an
    exec, whatever the snippet runs. (The runner keeps its effective ones; the snippet
    loses them with root.)"""
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    try:
        for capability in range(last + 1):
            if prctl(PR_CAPBSET_READ, capability):
                prctl(PR_CAPBSET_DROP, capability)
    except PermissionError:  # without CAP_SETPCAP: not root (--unsafe-dev, or a user
        return  # namespace), where there is nothing to drop that an exec could regain
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    sets = (ctypes.c_uint32 * 6)()  # (effective, permitted, inheritable) x 2 words
    if libc.capget(header, sets) < 0:
        raise OSError(ctypes.get_errno(), "capget")
    sets[2] = sets[5] = 0
    if libc.capset(header, sets) < 0:
        raise OSError(ctypes.get_errno(), "capset")


def become_snippet(
    supervisor: int, uid: int, cpu_s: int, nproc: int, fsize: int, nofile: int, address: int
) -> None:
    os.setpgid(0, 0)
    limits = [
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_NOFILE, nofile),
        (resource.RLIMIT_CORE, 0),
    ]
    if address:
        limits.append((resource.RLIMIT_AS, address))
    for limit, value in limits:
        resource.setrlimit(limit, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    if uid >= 0 and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the uid change cleared bwrap's
    prctl(PR_SET_DUMPABLE, 1)  # as any program: its own /proc files are its own
    if os.getppid() != supervisor:  # the runner died before the signal was armed
        os._exit(1)


def supervise(snippet: int, stop_fd: int, status_fd: int) -> None:
    """Wait for the snippet to end or the worker to stop it; then end everything else,
    reap it all, and report what the kernel says."""
    poller = select.poll()
    poller.register(os.pidfd_open(snippet), select.POLLIN)
    poller.register(stop_fd, select.POLLIN)
    poller.poll()
    try:
        if os.getpid() == 1:  # in a namespace of its own: every process there but this one
            os.kill(-1, signal.SIGKILL)
        else:  # --unsafe-dev: only what stayed in the snippet's process group
            os.killpg(snippet, signal.SIGKILL)
    except ProcessLookupError:
        pass
    status = -1
    while True:
        try:
            pid, wait_status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == snippet:
            status = wait_status
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_us = (usage.ru_utime + usage.ru_stime) * 1e6
    os.write(status_fd, b"%s %d %d %d\n" % (REPORT, status, cpu_us, usage.ru_maxrss))
    os._exit(0)


def run(source: str, module: object) -> int:
    """Run the snippet as ``__main__`` and return its exit status, as Python would;
    tracebacks show the snippet's lines, not the runner's."""
    # Normally site's Quitter objects; -S skips site, and sys.exit does what they would.
    builtins.exit = builtins.quit = sys.exit  # type: ignore[assignment]
    sys.argv = [FILENAME]
    try:
        exec(compile(source, FILENAME, "exec"), module.__dict__)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException as exc:
        report_exception(exc, source)
        return 1
    return 0


def report_exception(exc: BaseException, source: str) -> None:
    import linecache
    import traceback

    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    frames = exc.__traceback__.tb_next if exc.__traceback__ else None
    traceback.print_exception(exc.with_traceback(frames))


def shut_down(module: object, status: int) -> None:
    """What the interpreter's exit does that a snippet can see: wait for its threads,
    run its atexit functions, collect its objects (so "coroutine ... was never awaited"
    still shows), flush its output. Then leave, without the teardown of every module,
    which would take longer than the snippet itself."""
    threading = sys.modules.get("threading")
    if threading is not None:
        threading._shutdown()
    atexit._run_exitfuncs()
    # Compiled as "sys" so that warnings read as at a normal exit: "sys:1: ...".
    exec(
        compile("namespace.clear(); gc.collect()", "sys", "exec"),
        {"namespace": module.__dict__, "gc": gc},
    )
    for stream in {sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__}:
        try:
            # As Python's own exit: a stream set to None or closed is not flushed.
            if stream is not None and not stream.closed:
                stream.flush()
        except (AttributeError, OSError, ValueError):
            status = status or 120  # what Python exits with when it cannot flush
    os._exit(status & 0xFF)


if __name__ == "__main__":
    main(sys.argv[1:])
