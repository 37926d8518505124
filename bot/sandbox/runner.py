"""The first code run inside a sandbox: it supervises the student's snippet.

Passed to ``python -I -S -c`` (standard library only, nothing slow to import). It sets
the rlimits, says it is ready, then waits for its code on a pipe, so sandboxes can be
started ahead of time; each runs exactly one snippet. It then forks: the child drops
root (for the uid it was given) and runs the snippet; the parent enforces the wall
clock and reports how the child ended, measured by ``wait4`` on the child itself: CPU
time and peak memory of the snippet alone (the interpreter start-up, done before the
fork, is not counted), and the real exit status or signal.

Arguments: code_fd status_fd uid nproc fsize nofile address_space (uid -1: keep the
current one; address_space 0: no limit). The code pipe carries "wall_ms cpu_s", a
newline, then the source. The status pipe gets lines: READY, OUT_OF_MEMORY (the snippet
died of MemoryError), then the report "X status killed wall_us cpu_us maxrss_kb".
"""

import builtins
import os
import resource
import select
import signal
import sys
import time

READY = b"R"
OUT_OF_MEMORY = b"M"
REPORT = b"X"
FILENAME = "<snippet>"


def main() -> None:
    code_fd, status_fd, uid, nproc, fsize, nofile, address_space = map(int, sys.argv[1:])
    limits = [
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_FSIZE, fsize),
        (resource.RLIMIT_NOFILE, nofile),
        (resource.RLIMIT_CORE, 0),
    ]
    if address_space:
        limits.append((resource.RLIMIT_AS, address_space))
    for limit, value in limits:
        resource.setrlimit(limit, (value, value))
    os.write(status_fd, READY + b"\n")
    chunks = []
    while chunk := os.read(code_fd, 1 << 16):
        chunks.append(chunk)
    os.close(code_fd)
    header, source = b"".join(chunks).split(b"\n", 1)
    wall_ms, cpu_s = map(int, header.split())
    started = time.monotonic()
    child = os.fork()
    if child == 0:
        become_snippet(source.decode(), uid, cpu_s, status_fd)
    else:
        drop_privileges(uid)
        supervise(child, wall_ms, started, status_fd)


def drop_privileges(uid: int) -> None:
    if uid >= 0 and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def become_snippet(source: str, uid: int, cpu_s: int, status_fd: int) -> None:
    try:  # when memory runs out, the OOM killer takes the snippet, not its supervisor
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    drop_privileges(uid)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    run(source, status_fd)
    sys.exit(0)


def run(source: str, status_fd: int) -> None:
    """Run the snippet as ``__main__``; tracebacks show its lines, not the runner's."""
    builtins.exit = builtins.quit = sys.exit  # normally added by site, which -S skips
    sys.argv = [FILENAME]
    module = type(sys)("__main__")
    sys.modules["__main__"] = module
    try:
        exec(compile(source, FILENAME, "exec"), module.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:
        if isinstance(exc, MemoryError):
            os.write(status_fd, OUT_OF_MEMORY + b"\n")
        report_exception(exc, source)
        sys.exit(1)


def report_exception(exc: BaseException, source: str) -> None:
    import linecache
    import traceback

    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    frames = exc.__traceback__.tb_next if exc.__traceback__ else None
    traceback.print_exception(exc.with_traceback(frames))


def supervise(child: int, wall_ms: int, started: float, status_fd: int) -> None:
    """Wait for the snippet until the wall clock runs out, then report on it. Whatever
    it left behind dies with this process: it is PID 1 of the sandbox's namespace."""
    pidfd = os.pidfd_open(child)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    killed = not poller.poll(wall_ms)
    if killed:
        os.kill(child, signal.SIGKILL)
    _, status, usage = os.wait4(child, 0)
    wall_us = (time.monotonic() - started) * 1e6
    cpu_us = (usage.ru_utime + usage.ru_stime) * 1e6
    numbers = (status, killed, wall_us, cpu_us, usage.ru_maxrss)
    os.write(status_fd, REPORT + b" %d %d %d %d %d\n" % numbers)


if __name__ == "__main__":
    main()
