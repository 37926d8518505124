"""/run: type a program (a line with only . runs it), see its output and its limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.console.commands import command
from bot.console.session import Console
from bot.core.code_runs import RunResult
from bot.render.run_result import NO_INPUT_NOTE, combined_output, notes, status_line

CODE_PROMPT = "... "


@command("run", "stdin", help="/run [stdin:TEXT]: type Python, then a line with only . to run it")
async def start_typing(console: Console, stdin: str = "") -> None:
    async def run(code: str) -> None:
        await show_run(console, lambda: console.tutor.code.run(code, stdin), stdin)

    read_program(console, run, "runs it", "nothing was run")


def read_program(
    console: Console, then: Callable[[str], Awaitable[None]], done: str, cancelled: str
) -> None:
    """Read the lines typed next as a program, until a line with only . (``then`` gets
    it) or .cancel; the prompt says so meanwhile."""
    lines: list[str] = []

    async def collect(line: str) -> None:
        if line.strip() == ".cancel":
            console.read_lines_with(None)
            console.say(f"Cancelled; {cancelled}.")
        elif line.strip() == ".":
            console.read_lines_with(None)
            await then("\n".join(lines))
        else:
            lines.append(line)

    console.read_lines_with(collect, CODE_PROMPT)
    console.say(
        f"Type your program (the prompt is now {CODE_PROMPT.strip()}); a line with only . "
        f"{done}, .cancel gives up."
    )


async def show_run(
    console: Console, run: Callable[[], Awaitable[RunResult]], stdin: str = ""
) -> None:
    console.say("Running in the sandbox…")
    result = await run()
    console.say(status_line(result))
    console.verbatim(combined_output(result) or "(no output)")
    for note in notes(result, stdin):
        if note == NO_INPUT_NOTE:
            note += ": give it with /run stdin:TEXT"
        console.say(f"Note: {note}.")
