"""The console frontend, driven line by line as a script would drive it.

Each test is a short session: the lines typed, then what must be on the screen and in
the database. Time moves only when a test says so (a fake clock and a manual timer).
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.console.app import console_guild
from bot.console.commands import UsageError, parse
from bot.console.daily import PrintedPrompts
from bot.console.screen import Screen
from bot.console.session import Console, learner_for
from bot.core.code_runs import RunResult
from bot.core.shards import EVERY_SHARD
from bot.core.tutor import Tutor
from bot.discord.client import discord_guilds
from bot.sandbox.client import SandboxUnavailable
from bot.storage import learners
from tests.cli import run_bot
from tests.conftest import CONTENT, ROOT
from tests.factories import CannedSandbox, ManualTimer, make_course, open_tutor

Step = str | Callable[[], Awaitable[object]]


async def feed(steps: list[Step]) -> AsyncIterator[str]:
    """Lines as typed; a callable step runs in between (e.g. time passing)."""
    for step in steps:
        if isinstance(step, str):
            yield step + "\n"
        else:
            await step()


async def run_script(tutor: Tutor, steps: list[Step], user: str = "ada", **kw: object) -> str:
    out = io.StringIO()
    console = Console(tutor, user, Screen(out), **kw)  # type: ignore[arg-type]
    await console.run(feed(steps))
    return out.getvalue()


def printed(stdout: str = "", stderr: str = "", exit_code: int = 0, cut: bool = False) -> RunResult:
    return RunResult(stdout, stderr, exit_code, False, False, cut, 5, 4, 2048)


@pytest.fixture
def sandbox() -> CannedSandbox:
    return CannedSandbox(respond=lambda code, stdin: printed(f"{stdin}!\n"))


@pytest.fixture
async def tutor_with_sandbox(tmp_path: Path, clock, sandbox):
    core = await open_tutor(tmp_path, clock, sandbox)
    yield core
    await core.close()


REVIEW_FIVE = ["/flashcards review"] + ["1", "good"] * 3 + ["show answer", "Easy"] * 2 + ["stop"]
QUIZ_THREE = ["/quiz", "right", "next", "right", "next", "wrong", "stop"]  # by option text


def test_parse_reads_options_like_discords_chat_box() -> None:
    call = parse("/lesson topic:coroutines level:basic")
    assert (call.name, call.options) == ("lesson", {"topic": "coroutines", "level": "basic"})
    assert parse("/flashcards review lesson:tasks").name == "flashcards review"
    assert parse("/flashcards daily dm 08:30").name == "flashcards daily dm"
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

    assert "== 1. Alpha (basic) ==" in out and "== 1. Alpha (detailed) ==" in out
    assert "- k: e" in out  # markdown bold is plain text when not a terminal
    assert out.count("Session done: 5 reviewed (Good 3, Easy 2)") == 2
    assert out.count("Correct!") == 4
    assert len(re.findall(r"Not quite\. The answer is [AB]\) right", out)) == 2

    shown = [int(p) for p in re.findall(r"^Points: (\d+)", out, re.MULTILINE)]
    async with tutor.ctx.db.transaction() as conn:
        ada = await learners.get(conn, 0, learner_for("ada").user_id)
        bob = await learners.get(conn, 0, learner_for("bob").user_id)
        answers = await (await conn.execute("SELECT count(*) FROM quiz_answers")).fetchall()
        reviews = await (await conn.execute("SELECT count(*) FROM review_log")).fetchall()
    assert ada is not None and bob is not None
    assert shown == [ada.points, bob.points]
    assert (answers[0][0], reviews[0][0]) == (6, 10)
    assert f"1. ada: {ada.points}" in out or f"1. bob: {bob.points}" in out


# -- what a newcomer ran into ------------------------------------------------------------


def test_long_text_wraps_between_words_and_code_is_never_wrapped() -> None:
    out = io.StringIO()
    screen = Screen(out, width=24)
    screen.say("Coroutines cooperate: each await hands control back to the loop.")
    screen.say("```py\nawait asyncio.gather(fetch(1), fetch(2), fetch(3))\n```")
    lines = out.getvalue().splitlines()
    assert lines[:3] == ["Coroutines cooperate:", "each await hands control", "back to the loop."]
    assert lines[3] == "    await asyncio.gather(fetch(1), fetch(2), fetch(3))"


def test_markdown_is_rendered_not_printed_literally() -> None:
    plain, styled = io.StringIO(), io.StringIO()
    text = "Use **gather** with *care*: `await` it.\n```py\nprint('hi')\n```"
    Screen(plain).say(text)
    Screen(styled, styled=True).say(text)
    assert plain.getvalue() == "Use gather with care: await it.\n    print('hi')\n"
    assert "\033[1mgather\033[0m" in styled.getvalue()
    assert "\033[3mcare\033[0m" in styled.getvalue()
    assert "*" not in styled.getvalue() and "`" not in styled.getvalue()


def test_a_multi_line_option_stays_visibly_one_option() -> None:
    out = io.StringIO()
    Screen(out).say("enter\nexit KeyError", indent="  A) ")
    assert out.getvalue() == "  A) enter\n     exit KeyError\n"


def test_lines_that_arrive_while_typing_are_drawn_above_the_prompt() -> None:
    out = io.StringIO()
    Screen(out, prompt_line=lambda: "ada> /less").say("⏳ 5 s left")
    assert out.getvalue() == "\r\033[K⏳ 5 s left\nada> /less"


async def test_labels_can_be_shortened_and_stray_input_is_explained(tutor) -> None:
    out = await run_script(
        tutor,
        ["1", "/quiz", "A", "next", "/lesson alpha", "m", "memory", "/flashcard", "/lesson 2"],
    )
    assert "There is nothing to choose right now, so '1' means nothing here." in out
    assert out.count("Quiz (") == 2  # "next" pressed "Next question"
    assert "'m' could be 'Medium' or 'Memory aid'; type more of it." in out
    assert "Memory aid: aid" in out
    assert "Unknown command /flashcard. Did you mean /flashcards review" in out
    assert "== 2. Beta (basic) ==" in out  # the number /lessons shows


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
            "/user",
            "/lesson topic:alpha",
            "42",
        ],
    )
    assert out.splitlines()[1:8] == [
        "level must be one of basic, medium, detailed.",
        "/lesson has no option 'colour' (options: topic, level).",
        "period must be week or all-time.",
        "difficulty must be one of easy, medium, hard.",
        "Could not read that command: No closing quotation.",
        "Unknown command /dance. Type help for the list.",
        "Usage: /user NAME",
    ]
    assert out.splitlines()[-1] == "Choose 1-7 or a label, or type a command."


async def test_points_are_explained_and_days_counted_in_words(tutor) -> None:
    out = await run_script(tutor, ["/quiz", "right", "/progress"])
    assert re.search(r"Correct! \+(\d+) points \((\d+) \+ 1 for your 1-day streak\)\.", out)
    assert "Streak: 1 day (best 1;" in out


async def test_a_learner_who_has_seen_every_question_is_told_so(tutor) -> None:
    out = await run_script(tutor, ["/quiz lesson:alpha", *(["wrong", "next"] * 3), "stop"])
    assert out.count("You have answered every question here; repeating them") == 1


async def test_lessons_show_flashcards_studied_too(tutor) -> None:
    out = await run_script(tutor, ["/flashcards review", "1", "good", "stop", "/lessons"])
    assert " 1. Alpha (alpha) · 1/3 cards studied" in out
    assert " 2. Beta (beta) · 0/3 cards studied" in out


async def test_help_lists_every_command_students_first(tutor) -> None:
    out = await run_script(tutor, ["help"])
    for command in ("/lessons", "/flashcards review", "/quiz", "/run", "/tutor forget-me"):
        assert command in out.split("For teachers")[0]
    for command in ("/class-quiz start", "/tutor-admin daily", "/tutor-admin timezone"):
        assert command in out.split("For teachers")[1]


# -- running code ------------------------------------------------------------------------


async def test_run_has_its_own_prompt_says_it_is_running_and_shows_the_output(
    tutor_with_sandbox, sandbox
) -> None:
    out = io.StringIO()
    console = Console(tutor_with_sandbox, "ada", Screen(out))
    await console.handle("/run stdin:hey")
    assert console.prompt == "... "
    for line in ("def f():", "    return 1", "."):
        await console.handle(line)
    assert console.prompt == "ada> "
    await console.handle("/run")
    await console.handle(".cancel")
    assert sandbox.runs == [("def f():\n    return 1", "hey")]
    assert "Running in the sandbox…\n✅ exit 0 · 5 ms wall · 4 ms CPU · 2.0 MiB peak\n" in (
        out.getvalue()
    )
    assert "    hey!\n" in out.getvalue()
    assert out.getvalue().endswith("Cancelled; nothing was run.\n")


async def test_run_explains_a_missing_input_and_cut_output(tutor_with_sandbox, sandbox) -> None:
    sandbox.respond = lambda code, stdin: printed(
        "x" * 10, "Traceback...\nEOFError: EOF when reading a line\n", 1, cut=True
    )
    out = await run_script(tutor_with_sandbox, ["/run", "print(input())", "."])
    assert "Note: the sandbox kept only the first 64 KiB of output." in out
    assert "Note: the program called input() but was given no input: give it with" in out


async def test_a_lessons_example_runs_from_its_button(tutor_with_sandbox, sandbox) -> None:
    out = await run_script(tutor_with_sandbox, ["/lesson alpha", "run it"])
    assert sandbox.runs == [("print(1)", "")]
    assert "✅ exit 0" in out


async def test_no_run_button_while_the_worker_is_down(tutor_with_sandbox, sandbox) -> None:
    def down(code: str, stdin: str) -> RunResult:
        raise SandboxUnavailable("connection refused")

    sandbox.up, sandbox.respond = False, down
    out = await run_script(tutor_with_sandbox, ["/lesson alpha", "/run", "print(1)", "."])
    assert "Run it" not in out
    assert "The code runner is not available right now" in out


# -- a class quiz, the teacher's settings, reminders, forget-me --------------------------


async def test_a_class_quiz_with_three_students(tutor, clock) -> None:
    timer = ManualTimer(clock)
    tutor.class_quizzes.sleep = timer.sleep
    answers = [("amy", "right"), ("ben", "wrong"), ("cy", "RIGHT")]  # by text, any case
    script: list[Step] = [
        "/user amy",
        "/class-quiz start",  # a student may not
        "/user ada",
        "/class-quiz start lesson:alpha questions:2 seconds:10",
    ]
    for name, option in answers:
        script += [f"/user {name}", option, option]
    script += [
        timer.advance_until_asleep,  # 5 s: a countdown line
        timer.advance_until_asleep,  # 10 s: time's up
        timer.advance_until_asleep,  # the pause; question 2 opens
        "/user amy",
        "right",  # an option's text works too
        "/user ada",
        "/class-quiz stop",  # closes question 2 now
        "/class-quiz stop",
    ]
    out = await run_script(tutor, script)

    assert "Only teachers can do that; amy is a student here" in out
    assert "📣 Class quiz! 2 questions, 10 s each." in out
    assert re.search(r"🔒 amy locked in ([AB])\.(.|\n)*🔒 cy locked in \1\.", out)
    assert re.search(r"ben already answered [AB]; the first answer counts\.", out)
    assert "⏳ 5 s left · 3 answers locked in" in out
    assert re.search(r"⌛ Time's up! The answer: [AB]\) right", out)
    assert re.search(r"✅ ████████ +2  [AB]\) right", out)  # the split, by option text
    assert "Class quiz · question 2 of 2" in out
    assert "Class quiz stopped: results" in out
    assert re.search(r"1\. amy: \d+ points \(2/2 right\)", out)
    assert "No class quiz is running." in out
    assert tutor.class_quizzes.running() == []
    rows = await tutor.ctx.db.fetchall("SELECT count(*) FROM quiz_answers WHERE source='class'")
    assert rows[0][0] == 4


async def test_the_teacher_changes_settings_and_a_student_cannot(tutor) -> None:
    out = await run_script(
        tutor,
        [
            "/tutor-admin timezone name:Mars/Olympus",
            "/tutor-admin timezone Europe/Paris",
            "/tutor-admin new-cards per-day:5",
            "/user bob",
            "/tutor-admin new-cards per-day:100",
        ],
    )
    assert "'Mars/Olympus' is not a timezone name like Europe/Paris" in out
    assert "Timezone: Europe/Paris · new cards per day: 10" in out
    assert "Timezone: Europe/Paris · new cards per day: 5" in out
    assert "Only teachers can do that; bob is a student here" in out
    assert (await tutor.guilds.settings(0)).new_cards_per_day == 5


async def test_the_teacher_reloads_the_course_and_is_told_the_bots_follow(
    tmp_path, clock, course
) -> None:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT, folder)
    tutor = await Tutor.open(tmp_path / "t.sqlite3", course, clock, content_dir=folder)
    try:
        out = await run_script(tutor, ["/tutor-admin reload"])
    finally:
        await tutor.close()
    assert f"Reloaded: {len(course.lessons)} lessons" in out
    assert "The console has the new course now" in out
    assert "Discord bots running on this database load it" in out
    assert "within 30 s" in out


async def test_daily_reminders_are_saved_and_printed_when_they_fire(tutor, clock) -> None:
    out = io.StringIO()
    console = Console(tutor, "ada", Screen(out))
    for line in (
        "/tutor-admin daily time:13:00 leaderboard-day:never",
        "/user bob",
        "/flashcards daily dm 13:00",
    ):
        await console.handle(line)
    assert "The class's card of the day at 13:00 (UTC). Next: 2026-03-02 13:00 UTC." in (
        out.getvalue()
    )
    clock.advance(hours=1)  # 13:00: both are due
    await tutor.daily.tick(PrintedPrompts(console), console_guild)
    assert "📣 Card of the day · Monday 2026-03-02" in out.getvalue()
    assert "📬 For bob: 0 cards due and 6 new." in out.getvalue()
    await tutor.daily.tick(PrintedPrompts(console), console_guild)  # exactly once
    assert out.getvalue().count("📬 For bob") == 1


def test_the_console_and_the_bot_deliver_disjoint_guilds() -> None:
    assert console_guild(0) and not discord_guilds(EVERY_SHARD)(0)
    assert discord_guilds(EVERY_SHARD)(1234) and not console_guild(1234)


async def test_a_student_forgets_themselves_after_confirming(tutor) -> None:
    script = ["/quiz", "A", "/user bob", "/quiz", "A", "/tutor forget-me", "cancel"]
    out = await run_script(tutor, [*script, "/tutor forget-me", "yes"])
    assert "Nothing was deleted." in out and "Done: bob's progress is deleted." in out
    async with tutor.ctx.db.transaction() as conn:
        assert await learners.get(conn, 0, learner_for("bob").user_id) is None
        assert await learners.get(conn, 0, learner_for("ada").user_id) is not None


async def test_progress_of_a_member_with_a_chart_saved_as_png(tutor, tmp_path) -> None:
    out = await run_script(
        tutor, ["/user bob", "/quiz", "A", "/user ada", "/progress member:bob"], charts_dir=tmp_path
    )
    assert "Progress of bob" in out
    chart = tmp_path / "progress-bob.png"
    assert f"Chart: {chart.resolve()}" in out
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_an_unknown_option_value_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Type a command"):
        parse("   ")


# -- the real command line -----------------------------------------------------------------


def run_cli(args: list[str], stdin: str, tmp_path: Path, cwd: Path = ROOT):
    return run_bot(args, tmp_path / "t.sqlite3", stdin, cwd)


def test_the_console_runs_from_the_command_line_with_piped_stdin(tmp_path) -> None:
    done = run_cli(["console", "--user", "ada"], "/lessons\n/quit\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "You are ada" in done.stdout and "Bye!" in done.stdout
    assert "ada>" not in done.stdout  # no prompt when not a terminal


def test_started_elsewhere_it_says_the_course_is_missing_not_invalid(tmp_path) -> None:
    done = run_cli(["console"], "", tmp_path, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"cannot start: no course folder at {tmp_path}/content")
    assert "Traceback" not in done.stderr


def test_make_run_without_a_token_opens_the_console_with_a_working_sandbox(tmp_path) -> None:
    code = "import asyncio\nasync def main():\n    print(6 * 7)\nasyncio.run(main())\n"
    done = run_cli(["up", "--user", "ada"], f"/run\n{code}.\n/quit\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("DISCORD_TOKEN is not set: opening the console frontend")
    assert "✅ exit 0" in done.stdout and "\n    42\n" in done.stdout


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
    done = run_cli(["console", "--user", "ada"], "\n".join(script) + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("== 2. Coroutines") >= 2 and out.count("Session done: 5 reviewed") == 2
    assert out.count("Why: ") == 6  # three answered questions each, with explanations

    db = tmp_path / "t.sqlite3"
    shown = [int(p) for p in re.findall(r"^Points: (\d+)", out, re.MULTILINE)]
    rows = sqlite3.connect(db).execute(
        "SELECT display_name, points FROM learners ORDER BY created_at"
    )
    assert [points for _, points in rows] == shown
    counts = sqlite3.connect(db).execute(
        "SELECT (SELECT count(*) FROM review_log), (SELECT count(*) FROM quiz_answers)"
    )
    assert counts.fetchone() == (10, 6)


async def test_always_pressing_the_first_button_is_right_only_by_chance(tutor) -> None:
    tutor.ctx.courses.swap(make_course("alpha", "beta", questions=6, options=4))
    out = await run_script(tutor, ["/quiz", *(["1", "next"] * 200), "stop"])
    assert out.count("Quiz (") == 201
    assert 0 < out.count("Correct!") <= 0.35 * 200


def test_a_teachers_whole_session_on_stdin(tmp_path) -> None:
    """The real CLI, real time: a class quiz with three students (the teacher stops it),
    settings, a class reminder and a student's own, and a student's forget-me."""
    script = [
        "/class-quiz start questions:1 seconds:120",
        "/user amy", "A",
        "/user ben", "B",
        "/user cy", "A",
        "/user ada", "/class-quiz stop",
        "/tutor-admin timezone Europe/Paris",
        "/tutor-admin daily time:08:30",
        "/user bob", "/flashcards daily dm 19:00", "/quiz", "A",
        "/tutor forget-me", "yes",
        "/quit",
    ]  # fmt: skip
    done = run_cli(["console", "--user", "ada"], "\n".join(script) + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("locked in") == 3 and "Class quiz stopped: results" in out
    assert "Timezone: Europe/Paris" in out and "The class's card of the day at 08:30" in out
    assert "Your daily reminder, bob, at 19:00 (Europe/Paris)" in out
    assert "Done: bob's progress is deleted." in out
    db = sqlite3.connect(tmp_path / "t.sqlite3")
    assert db.execute("SELECT count(*) FROM quiz_answers WHERE source = 'class'").fetchone() == (3,)
    assert db.execute("SELECT timezone FROM guild_settings WHERE guild_id = 0").fetchone() == (
        "Europe/Paris",
    )
    assert db.execute("SELECT local_time FROM daily_channels").fetchall() == [("08:30",)]
    names = {name for (name,) in db.execute("SELECT display_name FROM learners")}
    assert names == {"amy", "ben", "cy"}  # bob forgot himself; ada only set things up
