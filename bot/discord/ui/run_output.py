"""How a sandbox result is shown in Discord: safe, short, with the full text attached."""

from __future__ import annotations

import signal
from dataclasses import dataclass

from bot.curriculum import display_limits as limits
from bot.sandbox.result import RunResult

DOWN = "The code runner is not available right now; everything else works. Try again later."
BUSY = "The code runner is busy with other students' code; try again in a few seconds."
SHOWN_OUTPUT = 1500  # leaves room for the header and notes inside 2000 characters


@dataclass(frozen=True)
class RenderedRun:
    content: str
    attachment: str | None  # the full output, when it did not fit


def neutralise(text: str) -> str:
    """No pings and no escaping the code block, whatever the program printed."""
    return (
        text.replace("```", "`\u200b``")
        .replace("@everyone", "@\u200beveryone")
        .replace("@here", "@\u200bhere")
        .replace("<@", "<\u200b@")
    )


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


def render_run(result: RunResult) -> RenderedRun:
    output = result.stdout
    if result.stderr:
        output += ("\n" if output and not output.endswith("\n") else "") + result.stderr
    notes = []
    if result.output_truncated:
        notes.append("the sandbox kept only the first 64 KiB of output")
    shown = output
    attachment = None
    if len(output) > SHOWN_OUTPUT or output.count("\n") > 40:
        lines = output[:SHOWN_OUTPUT].splitlines()[:40]
        shown = "\n".join(lines)
        attachment = output
        notes.append("output cut here; the full output is attached")
    body = neutralise(shown.rstrip()) or "(no output)"
    content = f"{status_line(result)}\n```\n{body}\n```"
    if notes:
        content += "\n-# " + "; ".join(notes)
    assert len(content) <= limits.MESSAGE_CONTENT
    return RenderedRun(content, attachment)
