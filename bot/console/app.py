"""``python -m bot console``: the terminal frontend's life cycle.

The event loop (the core, class-quiz timers, daily prompts) runs in its own thread; the
main thread reads the keyboard with ``input()``, so readline's editing and history work
and Ctrl-C arrives where it can act: at the prompt it drops what was typed, during a
command it cancels the command, and twice in a row (or Ctrl-D) it quits. Lines printed
by the loop while someone types are drawn above the prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from functools import partial
from typing import Any, TypeVar

from bot.config import Settings, load_settings

# Importing the feature modules registers their commands.
from bot.console import (
    admin,
    class_report,
    classquiz,
    content,
    daily,
    exercises,
    flashcards,
    general,
    lessons,
    progress,
    quiz,
    run,
)
from bot.console.screen import Screen
from bot.console.session import Console
from bot.core.context import CONSOLE_GUILD
from bot.core.tutor import StartupError, Tutor
from bot.ops.clock import system_clock

FEATURES = (
    admin,
    class_report,
    classquiz,
    content,
    daily,
    exercises,
    flashcards,
    general,
    lessons,
    progress,
    quiz,
    run,
)
T = TypeVar("T")
CHARTS_FOLDER = "charts"


def console_guild(guild_id: int) -> bool:
    """The console delivers its own guild's daily prompts, and only those."""
    return guild_id == CONSOLE_GUILD


class LoopThread:
    """An event loop in a daemon thread; ``call`` runs a coroutine there and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="loop", daemon=True)

    def _run(self) -> None:
        # The kernel may deliver SIGINT to any thread that does not block it; blocked here
        # (and so in every thread started from here), it interrupts the keyboard's read.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        self.loop.run_forever()

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Wait for ``coro``; Ctrl-C meanwhile cancels it (and re-raises)."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            concurrent.futures.wait([future])
            raise


class Keyboard:
    """What is typed at the prompt, for the screen to redraw it above new lines."""

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.prompt: str | None = None
        if interactive:
            import readline  # noqa: F401  (editing and history for input())

    def line(self) -> str | None:
        if self.prompt is None:
            return None
        import readline

        return self.prompt + readline.get_line_buffer()

    def read(self, prompt: str) -> str:
        shown = prompt if self.interactive else ""
        self.prompt = shown if self.interactive else None
        try:
            return input(shown)
        finally:
            self.prompt = None


def talk(console: Console, loop: LoopThread, keyboard: Keyboard) -> None:
    """Read, hand each line to the loop, until /quit, Ctrl-D or Ctrl-C twice."""
    interrupted = False
    while console.running:
        try:
            line = keyboard.read(console.prompt)
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            if interrupted:
                print()
                return
            interrupted = True
            print("\n(Ctrl-C again or Ctrl-D to quit)")
            continue
        interrupted = False
        try:
            loop.call(console.handle(line))
        except KeyboardInterrupt:
            console.read_lines_with(None)
            print("\nCancelled.")


async def _open(stack: AsyncExitStack, settings: Settings) -> Tutor:
    return await stack.enter_async_context(Tutor.from_settings(settings, system_clock))


async def _begin(console: Console) -> None:
    console.greet()
    await console.tutor.class_quizzes.recover(
        console_guild, partial(classquiz.tell_ended_early, console)
    )
    await console.tutor.class_exercises.recover(
        console_guild, lambda row: exercises.PrintedAssignment(console)
    )
    console.tutor.deliver_daily_prompts(daily.PrintedPrompts(console), console_guild)


def run_console(settings: Settings, user: str) -> int:
    """Open the core, talk to the terminal, close everything; 0, or 1 if it cannot start."""
    # Ctrl-C must reach the prompt even when started from a shell that ignores SIGINT in
    # background jobs (Python then installs no handler of its own).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    keyboard = Keyboard(interactive)
    width = shutil.get_terminal_size().columns if interactive else None
    screen = Screen(sys.stdout, width, styled=interactive, prompt_line=keyboard.line)
    stack = AsyncExitStack()
    with LoopThread() as loop:
        try:
            tutor = loop.call(_open(stack, settings))
        except StartupError as exc:
            print(f"cannot start: {exc}", file=sys.stderr)
            return 1
        try:
            console = Console(tutor, user, screen, settings.data_folder / CHARTS_FOLDER)
            loop.call(_begin(console))
            talk(console, loop, keyboard)
        finally:
            loop.call(stack.aclose())
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot console")
    parser.add_argument("--user", default=os.environ.get("USER") or "teacher")
    args = parser.parse_args(argv)
    # Only errors: the conversation is the user's (a worker that is down shows as no
    # "Run it" button and a one-line answer to /run, not as a log line).
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    return run_console(load_settings(), args.user)
