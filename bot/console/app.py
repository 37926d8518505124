"""Terminal frontend: every feature of the learning core, typed as in Discord's chat box.

Where Discord would show buttons, the console prints them numbered; the next line may be
a number or a label. Reads one line at a time, so a session can be scripted from stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import re
import shlex
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TextIO

from bot.config import Settings, load_settings
from bot.core.clock import system_clock
from bot.core.context import Learner
from bot.core.flashcards import DueCard, Grade
from bot.core.tutor import Tutor
from bot.curriculum import ContentError, load_course
from bot.curriculum.models import Difficulty, Lesson, Level, Question
from bot.curriculum.search import find_lesson, suggest_lessons
from bot.discord.ui.run_output import BUSY, DOWN, status_line
from bot.sandbox.client import SandboxBusy, SandboxClient, SandboxError
from bot.storage import StorageError

log = logging.getLogger(__name__)

CONSOLE_GUILD = 0
PERIODS = ("week", "all-time")


class UsageError(Exception):
    """A malformed command: shown to the user as one line."""


@dataclass(frozen=True)
class Button:
    label: str
    action: Callable[[], Awaitable[None]]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Invocation:
    name: str
    options: dict[str, str]
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommandSpec:
    handler: str
    options: tuple[str, ...] = ()
    help: str = ""


COMMANDS: dict[str, CommandSpec] = {
    "help": CommandSpec("cmd_help", help="list the commands"),
    "lessons": CommandSpec("cmd_lessons", help="the course outline with your progress"),
    "lesson": CommandSpec(
        "cmd_lesson", ("topic", "level"), "read a lesson: /lesson topic:coroutines level:basic"
    ),
    "flashcards review": CommandSpec(
        "cmd_review", ("lesson",), "review due flashcards: /flashcards review [lesson:tasks]"
    ),
    "flashcards stats": CommandSpec("cmd_card_stats", help="your flashcard numbers"),
    "quiz": CommandSpec(
        "cmd_quiz", ("lesson", "difficulty"), "a quiz question: /quiz [lesson:..] [difficulty:..]"
    ),
    "progress": CommandSpec("cmd_progress", help="points, streak, accuracy, due cards"),
    "leaderboard": CommandSpec(
        "cmd_leaderboard", ("period",), "top 10 and your rank: /leaderboard [period:week|all-time]"
    ),
    "run": CommandSpec(
        "cmd_run", ("stdin",), "run Python in the sandbox: /run [stdin:text], then the code"
    ),
    "user": CommandSpec("cmd_user", ("name",), "switch student: /user NAME"),
    "quit": CommandSpec("cmd_quit", help="leave (also: exit, Ctrl-D)"),
}
ALIASES = {"exit": "quit", "flashcards": "flashcards review", "?": "help"}


def learner_for(name: str) -> Learner:
    """Console users are identified by name; the id is a stable hash of it."""
    digest = hashlib.sha256(name.strip().lower().encode()).digest()
    return Learner(CONSOLE_GUILD, int.from_bytes(digest[:6], "big"), name.strip())


def parse(line: str) -> Invocation:
    """``/lesson topic:coroutines level:basic`` -> name ``lesson`` with two options."""
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"Could not read that command: {exc}.") from exc
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition(":")
        if sep and words and re.fullmatch(r"[a-z_-]+", key.lower()):
            options[key.lower()] = value
        else:
            words.append(token.lstrip("/").lower() if not words else token)
    if not words:
        raise UsageError("Type a command, e.g. /lessons (or help).")
    name = words[0]
    if len(words) > 1 and f"{name} {words[1].lower()}" in COMMANDS:
        name, words = f"{name} {words[1].lower()}", [name, *words[2:]]
    name = ALIASES.get(name, name)
    return Invocation(name, options, tuple(words[1:]))


def humanize(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a minute"


@dataclass
class ReviewSession:
    """Ratings given in one review run, newest last (Undo pops the last one)."""

    lesson_id: str | None
    ratings: list[tuple[Grade, int]] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(points for _, points in self.ratings)

    def split(self) -> str:
        counts = Counter(grade.name.title() for grade, _ in self.ratings)
        return ", ".join(f"{name} {n}" for name, n in counts.items())


class Console:
    def __init__(
        self,
        tutor: Tutor,
        user: str,
        out: TextIO,
        styled: bool = False,
        sandbox: SandboxClient | None = None,
    ) -> None:
        self.tutor = tutor
        self.sandbox = sandbox
        self._code: list[str] | None = None  # lines of a /run being typed
        self._stdin = ""
        self.who = learner_for(user)
        self.out = out
        self.styled = styled
        self._buttons: list[Button] = []
        self._running = True

    # ---- plumbing -------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        bold = r"\033[1m\1\033[0m" if self.styled else r"\1"
        self.out.write(re.sub(r"\*\*(.+?)\*\*", bold, text) + "\n")
        self.out.flush()

    def offer(self, *buttons: Button) -> None:
        self._buttons = list(buttons)
        for n, button in enumerate(buttons, 1):
            self.say(f"  [{n}] {button.label}")

    @property
    def prompt(self) -> str:
        return f"{self.who.name}> "

    async def run(self, lines: AsyncIterator[str]) -> None:
        self.say(f"asyncio-tutor console. You are {self.who.name}. Type help for commands.")
        async for line in lines:
            await self.handle(line)
            if not self._running:
                break

    async def handle(self, line: str) -> None:
        if self._code is not None:
            await self._collect_code(line.rstrip("\n"))
            return
        line = line.strip()
        if not line:
            return
        try:
            if self._buttons and not line.startswith("/") and line.lower() not in COMMANDS:
                await self._press(line)
                return
            self._buttons = []
            await self._dispatch(parse(line))
        except UsageError as exc:
            self.say(str(exc))
        except Exception:
            log.exception("console command failed: %r", line)
            self.say("Sorry, something went wrong with that command; nothing was lost.")

    async def _press(self, text: str) -> None:
        wanted = text.strip().lower()
        for n, button in enumerate(self._buttons, 1):
            names = {str(n), button.label.lower(), *(a.lower() for a in button.aliases)}
            if wanted in names:
                self._buttons = []
                await button.action()
                return
        raise UsageError(f"Choose 1-{len(self._buttons)} or a label, or type a command.")

    async def _dispatch(self, call: Invocation) -> None:
        spec = COMMANDS.get(call.name)
        if spec is None:
            raise UsageError(f"Unknown command /{call.name}. Type help for the list.")
        unknown = sorted(set(call.options) - set(spec.options))
        if unknown:
            allowed = ", ".join(spec.options) or "none"
            raise UsageError(f"/{call.name} has no option {unknown[0]!r} (options: {allowed}).")
        options = dict(call.options)
        for option, word in zip(spec.options, call.words, strict=False):
            options.setdefault(option, word)
        await getattr(self, spec.handler)(**options)

    # ---- commands -------------------------------------------------------------------
    async def cmd_help(self) -> None:
        self.say("Commands (typed as in Discord):")
        for name, spec in COMMANDS.items():
            self.say(f"  /{name:<18} {spec.help}")
        self.say("When buttons are shown, answer with their number or label.")

    async def cmd_quit(self) -> None:
        self._running = False
        self.say("Bye! Keep your streak going.")

    async def cmd_user(self, name: str = "") -> None:
        if not name.strip():
            raise UsageError("Usage: /user NAME")
        self.who = learner_for(name)
        self.say(f"You are now {self.who.name}.")

    async def cmd_lessons(self) -> None:
        report = await self.tutor.progress.report(self.who)
        accuracy = {a.lesson_id: a for a in report.accuracy}
        self.say(f"**{self.tutor.course.title}**")
        for n, lesson in enumerate(self.tutor.course.lessons, 1):
            done = accuracy.get(lesson.id)
            mark = f" - quiz {done.correct}/{done.answered} right" if done else ""
            self.say(f"{n:2}. {lesson.title} ({lesson.id}){mark}")
        self.say("Read one with /lesson topic:<id> level:basic|medium|detailed")

    def _lesson(self, topic: str) -> Lesson:
        if not topic:
            raise UsageError("Which lesson? /lesson topic:<id> (see /lessons)")
        lesson = find_lesson(self.tutor.course, topic)
        if lesson is None:
            ideas = suggest_lessons(self.tutor.course, topic)
            hint = f" Did you mean {', '.join(i.id for i in ideas)}?" if ideas else ""
            raise UsageError(f"No lesson {topic!r}.{hint} (see /lessons)")
        return lesson

    async def cmd_lesson(self, topic: str = "", level: str = "basic") -> None:
        lesson = self._lesson(topic)
        try:
            depth = Level(level.lower())
        except ValueError:
            raise UsageError("level must be one of basic, medium, detailed.") from None
        await self._show_summary(lesson, depth)

    async def _show_summary(self, lesson: Lesson, depth: Level) -> None:
        self.say(f"== {lesson.title} ({depth.value}) ==")
        self.say(lesson.summaries.at(depth))
        self._lesson_buttons(lesson, exclude=depth)

    def _lesson_buttons(self, lesson: Lesson, exclude: Level | None = None) -> None:
        def show(text_of: Callable[[], None]) -> Callable[[], Awaitable[None]]:
            async def action() -> None:
                text_of()
                self._lesson_buttons(lesson)

            return action

        def level_button(depth: Level) -> Button:
            async def action() -> None:
                await self._show_summary(lesson, depth)

            return Button(depth.value.title(), action)

        self.offer(
            *(level_button(d) for d in Level if d is not exclude),
            Button("Key concepts", show(lambda: self._key_concepts(lesson))),
            Button("Example", show(lambda: self._examples(lesson))),
            Button("Memory aid", show(lambda: self.say(f"Memory aid: {lesson.memory_aid}"))),
            Button("Flashcards for this lesson", lambda: self.cmd_review(lesson.id)),
            Button("Quiz me on this", lambda: self.cmd_quiz(lesson.id)),
        )

    def _key_concepts(self, lesson: Lesson) -> None:
        for concept in lesson.key_concepts:
            self.say(f"- **{concept.name}**: {concept.explanation}")

    def _examples(self, lesson: Lesson) -> None:
        for example in lesson.examples:
            self.say(f"-- {example.title} --")
            self.say(example.code.rstrip())
            self.say("Output:")
            self.say(example.output.rstrip() or "(nothing)")
            self.say(example.explanation)

    # ---- flashcards -----------------------------------------------------------------
    async def cmd_review(self, lesson: str = "") -> None:
        lesson_id = self._lesson(lesson).id if lesson else None
        await self._next_card(ReviewSession(lesson_id))

    async def _next_card(self, session: ReviewSession, can_undo: bool = False) -> None:
        due = await self.tutor.flashcards.next_card(self.who, session.lesson_id)
        if due is None:
            await self._end_review(session)
            return
        tag = "new card" if due.is_new else "review"
        self.say(f"Flashcard ({tag}, {due.card.lesson}): {due.card.front}")

        async def reveal() -> None:
            self.say(f"Answer: {due.card.back}")
            self.offer(
                *(self._grade_button(due, grade, session) for grade in Grade),
                Button("Stop", lambda: self._end_review(session)),
            )

        buttons = [Button("Show answer", reveal), Button("Stop", lambda: self._end_review(session))]
        if can_undo:
            buttons.append(Button("Undo last rating", lambda: self._undo(session)))
        self.offer(*buttons)

    def _grade_button(self, due: DueCard, grade: Grade, session: ReviewSession) -> Button:
        async def rate() -> None:
            outcome = await self.tutor.flashcards.review(self.who, due.card.id, grade)
            session.ratings.append((grade, outcome.award.total))
            wait = (outcome.next_due - self.tutor.ctx.now()).total_seconds()
            self.say(
                f"{grade.name.title()}: next review in {humanize(wait)}"
                f" (+{outcome.award.total} points)"
            )
            await self._next_card(session, can_undo=True)

        return Button(grade.name.title(), rate)

    async def _undo(self, session: ReviewSession) -> None:
        card = await self.tutor.flashcards.undo(self.who)
        if card is None:
            self.say("Nothing to undo.")
        else:
            if session.ratings:
                session.ratings.pop()
            self.say(f"Undone: your last rating of {card.front!r}.")
        await self._next_card(session)

    async def _end_review(self, session: ReviewSession) -> None:
        total = len(session.ratings)
        stats = await self.tutor.flashcards.stats(self.who)
        if total:
            self.say(
                f"Session done: {total} reviewed ({session.split()}), +{session.points} points."
            )
        else:
            self.say("No cards to review right now.")
        self.say(
            f"Due now: {stats.due_now}; new cards left today: {stats.new_left_today}; "
            f"reviewed today: {stats.reviewed_today}."
        )

    async def cmd_card_stats(self) -> None:
        stats = await self.tutor.flashcards.stats(self.who)
        self.say(
            f"Flashcards: {stats.seen} studied, {stats.unseen} not yet seen, "
            f"{stats.due_now} due now, {stats.new_left_today} new left today, "
            f"{stats.reviewed_today} reviewed today."
        )

    # ---- quiz -----------------------------------------------------------------------
    async def cmd_quiz(self, lesson: str = "", difficulty: str = "") -> None:
        lesson_id = self._lesson(lesson).id if lesson else None
        try:
            level = Difficulty(difficulty.lower()) if difficulty else None
        except ValueError:
            raise UsageError("difficulty must be one of easy, medium, hard.") from None
        question = await self.tutor.quiz.next_question(self.who, lesson_id, level)
        if question is None:
            self.say("No questions match that choice.")
            return
        self._ask(question, lesson_id, level)

    def _ask(self, question: Question, lesson_id: str | None, level: Difficulty | None) -> None:
        self.say(f"Quiz ({question.lesson}, {question.difficulty.value}): {question.prompt}")
        if question.code:
            self.say(question.code.rstrip())

        def choose(index: int) -> Callable[[], Awaitable[None]]:
            async def action() -> None:
                outcome = await self.tutor.quiz.answer(self.who, question.id, index)
                if outcome.correct:
                    self.say(f"Correct! +{outcome.award.total} points.")
                else:
                    self.say(f"Not quite. The answer is: {outcome.correct_option}")
                self.say(f"Why: {outcome.explanation}")
                self.offer(
                    Button("Next question", lambda: self.cmd_quiz(lesson_id or "", level or "")),
                    Button("Stop", self._stop_quiz),
                )

            return action

        letters = "ABCDE"
        self.offer(
            *(
                Button(f"{letters[i]}) {option}", choose(i), aliases=(letters[i], option))
                for i, option in enumerate(question.options)
            )
        )

    async def _stop_quiz(self) -> None:
        self.say("Quiz stopped. /progress shows how you are doing.")

    # ---- code runner ----------------------------------------------------------------
    async def cmd_run(self, stdin: str = "") -> None:
        if self.sandbox is None:
            raise UsageError(DOWN)
        self._code, self._stdin = [], stdin
        self.say("Type your code; a line with only . runs it (.cancel to give up).")

    async def _collect_code(self, line: str) -> None:
        if line.strip() == ".cancel":
            self._code = None
            self.say("Cancelled.")
            return
        if line.strip() != ".":
            assert self._code is not None
            self._code.append(line)
            return
        code, self._code = "\n".join(self._code or []), None
        assert self.sandbox is not None
        try:
            result = await self.sandbox.run(code, stdin=self._stdin)
        except SandboxBusy:
            self.say(BUSY)
            return
        except SandboxError:
            self.say(DOWN)
            return
        self.say(status_line(result))
        self.say((result.stdout + result.stderr).rstrip() or "(no output)")

    # ---- progress -------------------------------------------------------------------
    async def cmd_progress(self) -> None:
        report = await self.tutor.progress.report(self.who)
        self.say(f"**Progress of {self.who.name}**")
        rank = f" (rank #{report.rank.rank})" if report.rank else ""
        self.say(f"Points: {report.points}{rank}")
        self.say(
            f"Streak: {report.streak_current} days (best {report.streak_best}, "
            f"freezes {report.freezes})"
        )
        self.say(f"Quiz answers: {report.correct}/{report.answered} right")
        for acc in report.accuracy:
            self.say(f"  {acc.lesson_id}: {acc.correct}/{acc.answered}")
        self.say(f"Flashcards due now: {report.due_cards}")

    async def cmd_leaderboard(self, period: str = "week") -> None:
        if period not in PERIODS:
            raise UsageError("period must be week or all-time.")
        board = await self.tutor.progress.leaderboard(self.who, period)
        self.say(f"**Leaderboard ({period})**")
        if not board.top:
            self.say("No points yet. Be the first: /quiz")
        for row in board.top:
            self.say(f"{row.rank:3}. {row.display_name or row.user_id}: {row.points}")
        if board.me_outside_top and board.me:
            self.say(f"You: #{board.me.rank} with {board.me.points} points")


async def stdin_lines(prompt: Callable[[], str | None]) -> AsyncIterator[str]:
    """Lines of stdin without blocking the loop (a thread does the blocking read)."""
    while True:
        text = prompt()
        if text is not None:
            sys.stdout.write(text)
            sys.stdout.flush()
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            return
        yield line


async def run_console(settings: Settings, user: str) -> int:
    """Open the course and the database, then talk to the terminal until EOF or /quit."""
    try:
        course = await asyncio.to_thread(load_course, settings.content_dir)
    except ContentError as exc:
        print(f"The course in {settings.content_dir} is invalid:\n{exc}", file=sys.stderr)
        return 1
    try:
        tutor = await Tutor.open(settings.db_path, course, system_clock, settings.default_timezone)
    except StorageError as exc:
        print(f"Cannot open the database: {exc}", file=sys.stderr)
        return 1
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    try:
        async with SandboxClient(settings.effective_sandbox_url) as sandbox:
            console = Console(tutor, user, sys.stdout, styled=interactive, sandbox=sandbox)
            await console.run(stdin_lines(lambda: console.prompt if interactive else None))
    finally:
        await tutor.close()
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot console")
    parser.add_argument("--user", default=os.environ.get("USER") or "student")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(run_console(load_settings(), args.user))
    except KeyboardInterrupt:
        return 130
