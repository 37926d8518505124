"""A run's outcome in words, the same in every frontend: status line, output, notes."""

from __future__ import annotations

import signal

from bot.core.code_runs import RunResult

OUTPUT_CAP_NOTE = "the sandbox kept only the first 64 KiB of output"
NO_INPUT_NOTE = "the program called input() but was given no input"


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


def status_line(result: RunResult) -> str:
    if result.timed_out:
        status = "⏱ stopped: time limit"
    elif result.memory_exceeded:
        status = "💥 stopped: memory limit"
    elif result.exit_code == 0:
        status = "✅ exit 0"
    elif result.exit_code is None:
        status = "⚠️ stopped by the sandbox"
    elif result.exit_code < 0:
        status = f"⚠️ killed by signal {-result.exit_code} ({signal_name(-result.exit_code)})"
    else:
        status = f"❌ exit {result.exit_code}"
    memory = result.peak_memory_kb / 1024
    return (
        f"{status} · {result.wall_ms:.0f} ms wall · {result.cpu_ms:.0f} ms CPU"
        f" · {memory:.1f} MiB peak"
    )


def combined_output(result: RunResult) -> str:
    """stdout then stderr, as a terminal would interleave them at the end of a run."""
    output = result.stdout
    if result.stderr:
        output += ("\n" if output and not output.endswith("\n") else "") + result.stderr
    return output


def notes(result: RunResult, stdin: str) -> list[str]:
    """What the learner should know beyond the output itself."""
    found = []
    if result.output_truncated:
        found.append(OUTPUT_CAP_NOTE)
    if not stdin and "EOFError" in result.stderr:
        found.append(NO_INPUT_NOTE)
    return found
