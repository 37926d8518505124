"""``python -m bot exercise list | show ID | check ID FILE``: the course's exercises from
the command line; ``check`` grades a file with the worker's isolation, no worker needed
(as ``sandbox exec``), which is what CI runs for every solution, starter and mistake."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import NoReturn

from bot.config import load_settings
from bot.curriculum import ContentError, Exercise, load_course
from bot.sandbox.grading import GradeRequest, grade
from bot.sandbox.isolation import IsolationUnavailable
from bot.sandbox.limits import Limits
from bot.sandbox.pool import SandboxPool
from bot.sandbox.process import SandboxStartError
from bot.sandbox.request import InvalidRequest
from bot.sandbox.result import GradeResult

EXIT_BY_STATUS = {"pass": 0, "fail": 1, "error": 2}
EXIT_NO_ISOLATION = 3
EXIT_USAGE = 64  # bad arguments, an unknown exercise, a file that cannot be read


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m bot exercise", description="the course's exercises")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("list", help="one line per exercise: ID, lesson, difficulty")
    show = commands.add_parser("show", help="an exercise's statement and starter code")
    show.add_argument("id")
    check = commands.add_parser("check", help="grade FILE in a sandbox; print the JSON")
    check.add_argument("id")
    check.add_argument("file")
    check.add_argument("--timeout", type=float, help="wall-clock limit in seconds")
    check.add_argument(
        "--unsafe-dev",
        action="store_true",
        help="grade WITHOUT isolation if this machine has none (development only)",
    )
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    folder = load_settings().content_dir
    try:
        course = load_course(folder)
    except ContentError as exc:
        print(f"exercise: the course in {folder} is invalid ({len(exc.problems)} problem(s); "
              "run `python -m bot content check`)", file=sys.stderr)  # fmt: skip
        return 2
    if args.command == "list":
        for listed in course.exercises:
            print(f"{listed.id}\t{listed.lesson}\t{listed.difficulty}")
        return 0
    exercise = course.exercise(args.id)
    if exercise is None:
        print(f"exercise: no exercise {args.id!r} (`exercise list` names them)", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "show":
        print(f"{exercise.title}\n\n{exercise.statement}\n\n```python\n{exercise.starter}\n```")
        return 0
    try:
        with open(args.file, encoding="utf-8") as file:
            code = file.read()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"exercise: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = asyncio.run(_check(exercise, code, args.timeout, args.unsafe_dev))
    except IsolationUnavailable as exc:
        print(f"exercise: refusing to grade: {exc}", file=sys.stderr)
        return EXIT_NO_ISOLATION
    except (InvalidRequest, SandboxStartError) as exc:
        print(f"exercise: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_json()))
    return EXIT_BY_STATUS[result.status]


async def _check(
    exercise: Exercise, code: str, timeout_s: float | None, unsafe_dev: bool
) -> GradeResult:
    limits = Limits()
    request = GradeRequest.build(code, exercise.checks, limits, timeout_s)
    pool = await SandboxPool.open(limits, size=1, queue_size=0, prewarm=0, unsafe_dev=unsafe_dev)
    try:
        return await grade(pool, request)
    finally:
        await pool.close()
