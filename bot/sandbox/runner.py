"""The first code run inside a sandbox; it becomes the student's snippet.

Passed to ``python -I -S -c`` (standard library only, nothing slow to import). It sets
the rlimits, drops root for the uid it was given, says it is ready, then waits for its
code on a pipe, so sandboxes can be started ahead of time (each runs exactly one
snippet). The snippet then runs in this very process: forking a supervisor would cost
more than the bare interpreter start that pre-starting saves.

Arguments: code_fd status_fd uid nproc fsize nofile address_space (uid -1: keep the
current one; address_space 0: no limit). The code pipe carries the CPU limit in
seconds, a newline, then the source. The status pipe gets lines: READY with the CPU
microseconds and KiB of memory the start-up took (so the worker can count the snippet
alone), OUT_OF_MEMORY if the snippet died of MemoryError, and, when the interpreter
exits normally, REPORT with the peak memory in KiB.
"""

import atexit
import builtins
import os
import resource
import sys

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
    if uid >= 0 and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    startup = resource.getrusage(resource.RUSAGE_SELF)
    startup_us = (startup.ru_utime + startup.ru_stime) * 1e6
    os.write(status_fd, b"%s %d %d\n" % (READY, startup_us, startup.ru_maxrss))
    chunks = []
    while chunk := os.read(code_fd, 1 << 16):
        chunks.append(chunk)
    os.close(code_fd)
    cpu_s, source = b"".join(chunks).split(b"\n", 1)
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_s), int(cpu_s) + 1))
    atexit.register(report, status_fd)  # registered first, so it runs last
    run(source.decode(), status_fd)


def report(status_fd: int) -> None:
    """The interpreter is exiting normally (threads joined, atexit handlers run)."""
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    os.write(status_fd, b"%s %d\n" % (REPORT, peak_kb))


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


if __name__ == "__main__":
    main()
