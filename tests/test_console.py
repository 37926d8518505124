"""The console frontend, driven line by line as a script would drive it."""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.console.app import Console, learner_for, parse
from bot.storage import learners
from tests.conftest import ROOT


async def feed(lines: list[str]) -> AsyncIterator[str]:
    for line in lines:
        yield line + "\n"


async def run_script(tutor, lines: list[str], user: str = "ada") -> str:
    out = io.StringIO()
    await Console(tutor, user, out).run(feed(lines))
    return out.getvalue()


REVIEW_FIVE = ["/flashcards review"] + ["1", "good"] * 3 + ["show answer", "Easy"] * 2 + ["stop"]
QUIZ_THREE = ["/quiz", "A", "next question", "right", "1", "B", "stop"]


def test_parse_reads_options_like_discords_chat_box() -> None:
    call = parse("/lesson topic:coroutines level:basic")
    assert (call.name, call.options) == ("lesson", {"topic": "coroutines", "level": "basic"})
    assert parse("/flashcards review lesson:tasks").name == "flashcards review"
    assert parse('/user "Ada Lovelace"').words == ("Ada Lovelace",)


async def test_a_scripted_session_for_two_users_matches_the_database(tutor) -> None:
    script = [
        "/lessons",
        "/lesson topic:alpha level:basic",
        "detailed",
        "key concepts",
        *REVIEW_FIVE,
        *QUIZ_THREE,
        "/progress",
        "/leaderboard period:all-time",
        "/user bob",
        *REVIEW_FIVE,
        *QUIZ_THREE,
        "/progress",
        "/leaderboard period:all-time",
    ]
    out = await run_script(tutor, script)

    assert "== Alpha (basic) ==" in out and "== Alpha (detailed) ==" in out
    assert "- k: e" in out  # markdown bold is plain text when not a TTY
    assert out.count("Session done: 5 reviewed (Good 3, Easy 2)") == 2
    assert out.count("Correct!") == 4 and out.count("Not quite. The answer is: right") == 2

    shown = [int(p) for p in re.findall(r"^Points: (\d+)", out, re.MULTILINE)]
    async with tutor.ctx.db.transaction() as conn:
        ada = await learners.get(conn, 0, learner_for("ada").user_id)
        bob = await learners.get(conn, 0, learner_for("bob").user_id)
        answers = await conn.execute_fetchall("SELECT count(*) FROM quiz_answers")
        reviews = await conn.execute_fetchall("SELECT count(*) FROM review_log")
    assert ada is not None and bob is not None
    assert shown == [ada.points, bob.points]
    assert (answers[0][0], reviews[0][0]) == (6, 10)
    assert f"1. ada: {ada.points}" in out or f"1. bob: {bob.points}" in out


async def test_unknown_topics_get_suggestions(tutor) -> None:
    out = await run_script(tutor, ["/lesson topic:alpah"])
    assert "No lesson 'alpah'. Did you mean alpha?" in out


async def test_bad_options_get_one_line_and_nothing_crashes(tutor) -> None:
    out = await run_script(
        tutor,
        [
            "/lesson topic:alpha level:expert",
            "/lesson topic:alpha colour:red",
            "/leaderboard period:year",
            "/quiz difficulty:impossible",
            '/lesson topic:"alpha',
            "/dance",
            "/lesson topic:alpha",
            "42",
        ],
    )
    assert out.splitlines()[1:] == [
        "level must be one of basic, medium, detailed.",
        "/lesson has no option 'colour' (options: topic, level).",
        "period must be week or all-time.",
        "difficulty must be one of easy, medium, hard.",
        "Could not read that command: No closing quotation.",
        "Unknown command /dance. Type help for the list.",
        *out.splitlines()[7:-1],
        "Choose 1-7 or a label, or type a command.",
    ]


async def test_help_lists_every_command(tutor) -> None:
    out = await run_script(tutor, ["help"])
    for command in ("/lessons", "/lesson", "/flashcards review", "/quiz", "/progress", "/user"):
        assert command in out


def run_cli(command: str, stdin: str, db: Path) -> subprocess.CompletedProcess[str]:
    """``python -m bot <command> --user ada`` with piped stdin, as a script would run it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", command, "--user", "ada"],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"TUTOR_DB": str(db), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )


def test_the_console_runs_from_the_command_line_with_piped_stdin(tmp_path) -> None:
    done = run_cli("console", "/lessons\n/quit\n", tmp_path / "t.sqlite3")
    assert done.returncode == 0, done.stderr
    assert "You are ada" in done.stdout and "Bye!" in done.stdout
    assert "ada>" not in done.stdout  # no prompt when not a TTY


async def test_run_sends_the_typed_code_to_the_sandbox(tutor) -> None:
    from bot.sandbox.result import RunResult
    from tests.discord_helpers import CannedSandbox

    sandbox = CannedSandbox(
        respond=lambda code, stdin: RunResult(f"{stdin}!\n", "", 0, False, False, False, 5, 4, 2048)
    )
    out = io.StringIO()
    console = Console(tutor, "ada", out, sandbox=sandbox)  # type: ignore[arg-type]
    script = ["/run stdin:hey", "def f():", "    return 1", ".", "/run", "x", ".cancel"]
    await console.run(feed(script))
    assert sandbox.runs == [("def f():\n    return 1", "hey")]
    assert "✅ exit 0 · 5 ms wall · 4 ms CPU · 2.0 MiB peak\nhey!\n" in out.getvalue()
    assert out.getvalue().endswith("Cancelled.\n")


def test_make_run_without_a_token_opens_the_console_with_a_working_sandbox(tmp_path) -> None:
    code = "import asyncio\nasync def main():\n    print(6 * 7)\nasyncio.run(main())\n"
    done = run_cli("up", f"/run\n{code}.\n/quit\n", tmp_path / "t.sqlite3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DISCORD_TOKEN is not set: opening the console frontend")
    assert "✅ exit 0" in done.stdout and "\n42\n" in done.stdout


def test_a_scripted_session_on_stdin_for_two_users_matches_the_database(tmp_path) -> None:
    """The real CLI, the real course, commands piped on stdin as a script would."""
    per_user = [
        "/lesson topic:coroutines level:basic",
        "medium",
        *REVIEW_FIVE,
        "/quiz",
        "A",
        "next question",
        "B",
        "1",
        "A",
        "stop",
        "/progress",
        "/leaderboard period:all-time",
    ]
    script = [*per_user, "/user bob", *per_user, "/quit"]
    db = tmp_path / "t.sqlite3"
    done = run_cli("console", "\n".join(script) + "\n", db)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("== Coroutines") >= 2 and out.count("Session done: 5 reviewed") == 2
    assert out.count("Why: ") == 6  # three answered questions each, with explanations

    shown = [int(p) for p in re.findall(r"^Points: (\d+)", out, re.MULTILINE)]
    rows = sqlite3.connect(db).execute(
        "SELECT display_name, points FROM learners ORDER BY created_at"
    )
    assert [points for _, points in rows] == shown
    counts = sqlite3.connect(db).execute(
        "SELECT (SELECT count(*) FROM review_log), (SELECT count(*) FROM quiz_answers)"
    )
    assert counts.fetchone() == (10, 6)
