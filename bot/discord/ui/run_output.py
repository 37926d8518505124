"""How a run's outcome is shown in Discord: safe, short, with the full text attached."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.code_runs import RunResult
from bot.curriculum import display_limits as limits
from bot.discord.ui.embeds import break_fences
from bot.render.run_result import NO_INPUT_NOTE, combined_output, notes, status_line

SHOWN_OUTPUT = 1500  # leaves room for the header and notes inside 2000 characters
SHOWN_LINES = 40
STDIN_HINT = "give it in the modal's second field"


@dataclass(frozen=True)
class RenderedRun:
    content: str
    attachment: str | None  # the full output, when it did not fit


def neutralise(text: str) -> str:
    """No pings and no escaping the code block, whatever the program printed."""
    return (
        break_fences(text)
        .replace("@everyone", "@\u200beveryone")
        .replace("@here", "@\u200bhere")
        .replace("<@", "<\u200b@")
    )


def render_run(result: RunResult, stdin: str = "") -> RenderedRun:
    output = combined_output(result)
    found = [
        f"{note}: {STDIN_HINT}" if note == NO_INPUT_NOTE else note for note in notes(result, stdin)
    ]
    shown = output
    attachment = None
    if len(output) > SHOWN_OUTPUT or output.count("\n") > SHOWN_LINES:
        shown = "\n".join(output[:SHOWN_OUTPUT].splitlines()[:SHOWN_LINES])
        attachment = output
        found.append("output cut here; the full output is attached")
    body = neutralise(shown.rstrip()) or "(no output)"
    content = f"{status_line(result)}\n```\n{body}\n```"
    if found:
        content += "\n-# " + "; ".join(found)
    assert len(content) <= limits.MESSAGE_CONTENT
    return RenderedRun(content, attachment)
