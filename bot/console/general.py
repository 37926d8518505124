"""help, /user and /quit: the console's own commands."""

from __future__ import annotations

from bot.console.commands import COMMANDS, Command, UsageError, command
from bot.console.session import Console


@command("help", help="help: these commands")
async def show_help(console: Console) -> None:
    console.say("Commands (typed as in Discord's chat box; options as name:value or in order):")
    for teachers in (False, True):
        if teachers:
            console.say(f"For teachers ({console.teacher.name}):")
        listed = [found for found in COMMANDS.values() if found.teachers_only == teachers]
        for found in sorted(listed, key=_place):
            console.say(found.help, indent="  ", hanging="      ")
    console.say(
        "When buttons are shown, answer with their number, their label or its start "
        "(next = Next question). Ctrl-C cancels what you are typing; Ctrl-C twice or "
        "Ctrl-D quits."
    )


HELP_ORDER = (
    "lessons", "lesson", "flashcards", "quiz", "run", "progress", "leaderboard", "tutor",
    "class-quiz", "tutor-admin", "user", "help", "quit",
)  # fmt: skip


def _place(found: Command) -> tuple[int, str]:
    first = found.name.split()[0]
    return (HELP_ORDER.index(first) if first in HELP_ORDER else len(HELP_ORDER), found.name)


@command("user", "name", help="/user NAME: become that student (the teacher: your own name)")
async def switch_user(console: Console, name: str = "") -> None:
    if not name.strip():
        raise UsageError("Usage: /user NAME")
    who = console.switch_to(name)
    role = "the teacher" if who == console.teacher else "a student"
    console.say(f"You are now **{who.name}** ({role}).")


@command("quit", help="/quit: leave (also exit, Ctrl-D)")
async def leave(console: Console) -> None:
    console.running = False
    console.say("Bye! Keep your streak going.")
