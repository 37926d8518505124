"""One console session: who is typing, which buttons are showing, and one line at a time
turned into a command or a button press.

The user named at start is the class's teacher (with Manage Server, as in Discord);
users reached with ``/user NAME`` are students. Everyone is in the console's own guild.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from bot.console.buttons import Button, Buttons
from bot.console.commands import ALIASES, COMMANDS, UsageError, find, keyword_names, parse
from bot.console.screen import Screen
from bot.core.class_exercises import ClassExerciseRefused
from bot.core.class_quizzes import ClassQuizRefused
from bot.core.code_runs import CodeRunFailed, UnknownExample
from bot.core.context import CONSOLE_GUILD, AlreadyCounted, Learner
from bot.core.exercises import SolutionLocked, UnknownExercise
from bot.core.guilds import InvalidSetting, Member
from bot.core.tutor import Tutor

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong with that command; it has been logged and nothing was lost."
EXPECTED = (
    UsageError,
    CodeRunFailed,
    UnknownExample,
    ClassQuizRefused,
    InvalidSetting,
    AlreadyCounted,
    UnknownExercise,
    SolutionLocked,
    ClassExerciseRefused,
)
LineReader = Callable[[str], Awaitable[None]]


def learner_for(name: str) -> Learner:
    """Console users are identified by name; the id is a stable hash of it."""
    digest = hashlib.sha256(name.strip().lower().encode()).digest()
    return Learner(CONSOLE_GUILD, int.from_bytes(digest[:6], "big"), name.strip())


class Console:
    def __init__(
        self, tutor: Tutor, teacher: str, screen: Screen, charts_dir: Path | None = None
    ) -> None:
        self.tutor = tutor
        self.screen = screen
        self.teacher = learner_for(teacher)
        self.who = self.teacher
        self.charts_dir = charts_dir
        self.buttons = Buttons()
        self.running = True
        self.names: dict[int, str] = {self.who.user_id: self.who.name}
        self._reader: LineReader | None = None  # lines go here instead (code being typed)
        self._reader_prompt = ""

    # -- output --------------------------------------------------------------------------

    def say(self, text: str = "", indent: str = "", hanging: str | None = None) -> None:
        self.screen.say(text, indent, hanging)

    def verbatim(self, text: str) -> None:
        self.screen.verbatim(text)

    def offer(self, *buttons: Button, listed: bool = True) -> None:
        """Private buttons for whoever is typing; ``listed`` prints them numbered."""
        self.buttons.show_private(self.who.user_id, list(buttons))
        if listed:
            for number, button in enumerate(buttons, 1):
                self.say(button.label, indent=f"  [{number}] ")

    @property
    def prompt(self) -> str:
        return self._reader_prompt if self._reader is not None else f"{self.who.name}> "

    # -- who is typing -------------------------------------------------------------------

    def switch_to(self, name: str) -> Learner:
        self.who = learner_for(name)
        self.names[self.who.user_id] = self.who.name
        return self.who

    @property
    def member(self) -> Member:
        return Member(manage_server=self.who == self.teacher)

    def read_lines_with(self, reader: LineReader | None, prompt: str = "") -> None:
        """Send the next lines to ``reader`` (None: back to commands)."""
        self._reader, self._reader_prompt = reader, prompt

    # -- input ---------------------------------------------------------------------------

    def greet(self) -> None:
        self.say(
            f"asyncio-tutor console. You are **{self.who.name}**, the class's teacher; "
            "/user NAME becomes a student. Type help for the commands."
        )

    async def run(self, lines: AsyncIterator[str]) -> None:
        self.greet()
        async for line in lines:
            await self.handle(line)
            if not self.running:
                break

    async def handle(self, line: str) -> None:
        try:
            if self._reader is not None:
                await self._reader(line.rstrip("\n"))
                return
            text = line.strip()
            if text:
                await self._command_or_press(text)
        except EXPECTED as exc:
            self.say(str(exc))
        except Exception:
            log.exception("console command failed: %r", line)
            self.say(SORRY)

    async def _command_or_press(self, text: str) -> None:
        """A line with a slash is a command; otherwise it presses a button if one is
        showing, and only then may be a bare command word (help, quit, ...)."""
        bare_command = text.split()[0].lower() in COMMANDS.keys() | ALIASES.keys()
        if not text.startswith("/") and self.buttons.any_for(self.who.user_id):
            try:
                button = self.buttons.press(self.who.user_id, text)
            except UsageError:
                if not bare_command:
                    raise
            else:
                await button.action()
                return
        if not text.startswith("/") and not bare_command:
            raise UsageError(
                f"There is nothing to choose right now, so {text!r} means nothing here. "
                "Type a command such as /lessons (help lists them)."
            )
        found, options = find(parse(text))
        if found.teachers_only and not await self.tutor.guilds.is_teacher(
            CONSOLE_GUILD, self.member
        ):
            raise UsageError(
                f"Only teachers can do that; {self.who.name} is a student here "
                f"(the teacher is {self.teacher.name}: /user {self.teacher.name})."
            )
        self.buttons.clear_private(self.who.user_id)
        await found.handler(self, **keyword_names(options))
