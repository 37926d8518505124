"""The first code run inside a sandbox; it becomes the student's snippet.

Passed to ``python -I -S -c`` (standard library only, nothing slow to import). It sets
the rlimits, drops root for the uid it was given, imports asyncio (which every lesson
uses, and which takes longer to import than the rest of a typical run), says it is
ready, then waits for its code on a pipe, so sandboxes can be started ahead of time
(each runs exactly one snippet). The snippet runs in this very process: forking a
supervisor would cost more than the bare interpreter start that pre-starting saves.

Arguments: code_fd status_fd uid nproc fsize nofile address_space (uid -1: keep the
current one; address_space 0: no limit). The code pipe carries the CPU limit in
seconds, a newline, then the source. The status pipe gets lines: READY with the CPU
microseconds and KiB of memory the start-up took (so the worker can count the snippet
alone), OUT_OF_MEMORY if the snippet died of MemoryError, and, when the snippet ends
by itself, REPORT with the peak memory in KiB.
"""

import asyncio  # noqa: F401 (imported ahead of the snippet, see above)
import atexit
import builtins
import gc
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
    module = type(sys)("__main__")
    sys.modules["__main__"] = module
    status = run(source.decode(), module, status_fd)
    shut_down(module, status, status_fd)


def run(source: str, module: object, status_fd: int) -> int:
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
        if isinstance(exc, MemoryError):
            os.write(status_fd, OUT_OF_MEMORY + b"\n")
        report_exception(exc, source)
        return 1
    return 0


def report_exception(exc: BaseException, source: str) -> None:
    import linecache
    import traceback

    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    frames = exc.__traceback__.tb_next if exc.__traceback__ else None
    traceback.print_exception(exc.with_traceback(frames))


def shut_down(module: object, status: int, status_fd: int) -> None:
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
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    os.write(status_fd, b"%s %d\n" % (REPORT, peak_kb))
    os._exit(status & 0xFF)


if __name__ == "__main__":
    main()
