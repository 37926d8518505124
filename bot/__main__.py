"""Command line: ``python -m bot <command>`` (see ARCHITECTURE.md for the contract)."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.config import ConfigError, load_settings


def _content_check(args: argparse.Namespace) -> int:
    from bot.curriculum import ContentError, load_course
    from bot.curriculum.fairness import MAX_LENGTH_TELL, length_tell
    from bot.curriculum.models import QuestionKind

    folder = Path(args.folder) if args.folder else load_settings().content_dir
    if not folder.is_dir():
        print(f"no course folder at {folder.resolve()}", file=sys.stderr)
        return 1
    try:
        course = load_course(folder)
    except ContentError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) in {folder}", file=sys.stderr)
        return 1
    predict = sum(q.kind is QuestionKind.predict_output for q in course.questions)
    tell = length_tell(course.questions)
    print(f"content {'OK' if not tell.too_telling else 'refused'}: {folder}")
    print(f"lessons: {len(course.lessons)}")
    print(f"flashcards: {len(course.flashcards)}")
    print(f"questions: {len(course.questions)}")
    print(f"predict-the-output questions: {predict}")
    hard = sum(e.difficulty == "hard" for e in course.exercises)
    print(f"exercises: {len(course.exercises)} ({hard} hard)")
    for what, count in (("longest", tell.key_longest), ("shortest", tell.key_shortest)):
        print(
            f"choice questions whose key is strictly the {what} option: {count} of "
            f"{tell.questions} ({tell.share(count):.0%}; at most {MAX_LENGTH_TELL:.0%})"
        )
    if tell.too_telling:
        print(
            f"the key's length gives answers away in {folder}: rewrite options so that "
            "length tells nothing (without padding distractors)",
            file=sys.stderr,
        )
        return 1
    return 0


def _content_stats(args: argparse.Namespace) -> int:
    """Item analysis of first attempts: the questions a teacher should look at."""
    import asyncio

    from bot.core.item_analysis import MIN_ANSWERS, ItemReport
    from bot.core.tutor import StartupError, Tutor
    from bot.ops.clock import system_clock

    async def reports() -> list[ItemReport]:
        async with Tutor.from_settings(load_settings(), system_clock) as tutor:
            return await tutor.items.report(args.guild)

    try:
        found = asyncio.run(reports())
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1
    flagged = [report for report in found if report.flags]
    enough = sum(report.answers >= MIN_ANSWERS for report in found)
    print(
        f"{len(found)} questions answered; {enough} with >= {MIN_ANSWERS} first attempts; "
        f"{len(flagged)} to review"
    )
    for report in flagged:
        discrimination = "n/a" if report.discrimination is None else f"{report.discrimination:.2f}"
        print(
            f"{report.question.id} ({report.question.lesson}): {report.answers} first attempts,"
            f" {report.correct:.0%} right, discrimination {discrimination}"
        )
        for flag in report.flags:
            print(f"  - {flag}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="asyncio-tutor")
    commands = parser.add_subparsers(dest="command", required=True)

    content = commands.add_parser("content", help="course content tools")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    check = content_commands.add_parser("check", help="validate the content folder")
    check.add_argument("folder", nargs="?", help="default: TUTOR_CONTENT or content/")
    check.set_defaults(handler=_content_check)
    stats = content_commands.add_parser(
        "stats", help="questions to review, from students' first attempts"
    )
    stats.add_argument("--guild", type=int, default=None, help="one server (default: all)")
    stats.set_defaults(handler=_content_stats)

    # Each feature owns its command line; they are imported only when used.
    for name, _, help_text in DELEGATED:
        commands.add_parser(name, help=help_text, add_help=False)
    return parser


DELEGATED = [
    ("run", "bot.discord.serve", "the Discord bot (needs DISCORD_TOKEN)"),
    ("health", "bot.ops.health", "exit 0 if the running bot is connected (for health checks)"),
    ("db", "bot.ops.backup", "database tools: `db backup PATH` (safe while the bot runs)"),
    ("console", "bot.console.app", "every feature in a terminal: console [--user NAME]"),
    ("up", "bot.ops.launcher", "what `make run` starts: the bot, or the console without a token"),
    ("sandbox", "bot.sandbox.cli", "the sandbox worker (`sandbox exec` runs one snippet)"),
    ("exercise", "bot.ops.exercises", "exercises: `exercise list`, `show ID`, `check ID FILE`"),
]


def _delegate(module_name: str) -> Callable[[list[str]], int]:
    entry: Callable[[list[str]], int] = importlib.import_module(module_name).main
    return entry


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes (docs/ARCHITECTURE.md): 0 ok, 1 failure, 2 usage or configuration error;
    a configuration error in any command is one line here, never a traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        # Delegated commands parse their own options (argparse.REMAINDER drops leading flags).
        if argv and argv[0] in {name for name, _, _ in DELEGATED}:
            return _delegate(dict((n, m) for n, m, _ in DELEGATED)[argv[0]])(argv[1:])
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
