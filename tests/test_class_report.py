"""The class report: what a teacher learns about a seeded class (tests/class_seed.py),
through the core, the CSV files and the console."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from bot.core.class_report import ClassReport
from bot.core.context import Learner
from bot.core.option_order import Shown
from bot.render.class_report import (
    QUESTION_COLUMNS,
    STUDENT_COLUMNS,
    clip_lines,
    last_active_words,
    questions_csv,
    render_chart,
    students_csv,
)
from bot.storage import exercises, learners
from bot.storage.exercises import AttemptRow
from tests.class_seed import seed_class, wrong_option
from tests.conftest import both_engines
from tests.factories import make_course
from tests.test_console import run_script

pytestmark = both_engines

GUILD = 5


def by_name(report: ClassReport) -> dict[str, tuple[object, ...]]:
    """Per student: active days, streak, cards, first attempts, right, last active."""
    return {
        s.name: (
            s.active_days,
            s.streak,
            s.cards_reviewed,
            s.first_attempts,
            s.first_correct,
            s.last_active,
        )
        for s in report.students
    }


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_the_last_week_per_student_and_forget_me_leaves_no_trace(tutor, clock) -> None:
    await seed_class(tutor, clock, GUILD)
    today = clock.now.date()
    report = await tutor.class_report.report(GUILD, "week")
    assert [s.name for s in report.students] == ["ann", "ben", "cid"]  # dee used forget-me
    assert by_name(report) == {
        "ann": (2, 2, 3, 2, 1, today),
        "ben": (1, 1, 0, 1, 0, today),  # the second, right answer is not a first attempt
        "cid": (0, 0, 0, 0, 0, today - timedelta(days=10)),  # the streak is broken
    }
    assert [s.name for s in report.behind_first] == ["cid", "ben", "ann"]
    assert all(s.exercises_solved == 0 for s in report.students)
    assert report.first_day == today - timedelta(days=6)


async def test_all_time_counts_what_the_week_leaves_out(tutor, clock) -> None:
    await seed_class(tutor, clock, GUILD)
    report = await tutor.class_report.report(GUILD, "all-time")
    assert by_name(report)["cid"][:3] == (1, 0, 1)
    assert report.first_day is None


async def test_a_lesson_narrows_cards_answers_and_questions(tutor, clock) -> None:
    await seed_class(tutor, clock, GUILD)
    second = tutor.course.lessons[1]
    report = await tutor.class_report.report(GUILD, "week", second.id)
    assert by_name(report)["ann"][:5] == (2, 2, 1, 0, 0)  # active days stay the whole course
    assert [row.question.lesson for row in report.questions] == [second.id] * 3
    assert report.weakest_lessons == []


async def submit(tutor, who: Learner, exercise_id: str, status: str) -> None:
    """An exercise attempt as the exercises service stores it once graded."""
    row = AttemptRow(exercise_id, "alpha", status, 1, 1, "pass", tutor.ctx.now().timestamp(), 0)
    async with tutor.ctx.db.transaction() as conn:
        await learners.ensure(conn, who.guild_id, who.user_id, who.name, 0)
        await exercises.record(conn, who.guild_id, who.user_id, row)


async def test_exercises_solved_in_the_period_and_submissions_are_activity(tutor, clock) -> None:
    tutor.ctx.courses.swap(make_course(exercises=1))
    [exercise] = tutor.course.lessons[0].exercises
    amy, bo = Learner(GUILD, 1, "amy"), Learner(GUILD, 2, "bo")
    clock.advance(days=-10)
    await submit(tutor, amy, exercise.id, "pass")
    clock.advance(days=10)
    await submit(tutor, bo, exercise.id, "fail")
    await submit(tutor, bo, exercise.id, "pass")
    await submit(tutor, bo, exercise.id, "pass")  # solved again: still one exercise
    week = await tutor.class_report.report(GUILD, "week")
    assert {s.name: (s.exercises_solved, s.active_days) for s in week.students} == {
        "amy": (0, 0),
        "bo": (1, 1),
    }
    forever = await tutor.class_report.report(GUILD, "all-time")
    assert {s.name: s.exercises_solved for s in forever.students} == {"amy": 1, "bo": 1}
    other_lesson = await tutor.class_report.report(GUILD, "all-time", "beta")
    assert {s.exercises_solved for s in other_lesson.students} == {0}


async def test_weakest_lessons_and_the_questions_to_review(tutor, clock) -> None:
    await seed_class(tutor, clock, GUILD)
    first = tutor.course.lessons[0]
    q0, q1 = first.questions[:2]
    report = await tutor.class_report.report(GUILD, "week")
    [weakest] = report.weakest_lessons
    assert (weakest.lesson.id, weakest.first_attempts, weakest.first_correct) == (first.id, 3, 1)
    assert weakest.students == 2
    review = {row.question.id: row for row in report.to_review}
    assert list(review) == [q1.id, q0.id]  # least often right first
    assert review[q0.id].item is not None and review[q0.id].item.correct == 0.5
    assert review[q0.id].most_chosen_wrong == (q0.options[wrong_option(q0)], 1)
    assert len(report.questions) == len(tutor.course.questions)


async def test_active_days_are_local_days_even_at_half_hour_offsets(tutor, clock) -> None:
    """India is UTC+5:30: 18:20 and 18:40 UTC are 23:50 and 00:10 there, two days."""
    await tutor.guilds.update(GUILD, timezone="Asia/Kolkata")
    question = tutor.course.questions[0]
    who = Learner(GUILD, 1, "raj")
    for minute in (20, 40):
        clock.now = clock.now.replace(hour=18, minute=minute)
        await tutor.quiz.answer(who, Shown.as_written(question), question.answer_index)
    report = await tutor.class_report.report(GUILD, "week")
    assert by_name(report)["raj"][0] == 2
    await tutor.guilds.update(GUILD, timezone="UTC")
    assert by_name(await tutor.class_report.report(GUILD, "week"))["raj"][0] == 1


async def test_students_csv_has_one_row_per_student_and_no_formulas(tutor, clock) -> None:
    people = await seed_class(tutor, clock, GUILD)
    question = tutor.course.questions[0]
    await tutor.quiz.answer(Learner(GUILD, 77, "=HYPERLINK(x)"), Shown.as_written(question), 0)
    report = await tutor.class_report.report(GUILD, "week")
    data = students_csv(report)
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 names with the mark
    rows = read_csv(data)
    assert tuple(rows[0]) == STUDENT_COLUMNS
    assert [row["name"] for row in rows] == ["'=HYPERLINK(x)", "ann", "ben", "cid"]
    ann = rows[1]
    assert ann["user_id"] == str(people["ann"].user_id)
    assert (ann["active_days"], ann["cards_reviewed"], ann["accuracy_percent"]) == ("2", "3", "50")
    assert rows[3]["accuracy_percent"] == ""  # cid answered nothing: no accuracy, not 0


async def test_questions_csv_has_one_row_per_question(tutor, clock) -> None:
    await seed_class(tutor, clock, GUILD)
    q0 = tutor.course.questions[0]
    rows = read_csv(questions_csv(await tutor.class_report.report(GUILD, "week")))
    assert tuple(rows[0]) == QUESTION_COLUMNS
    assert [row["question_id"] for row in rows] == [q.id for q in tutor.course.questions]
    first = rows[0]
    assert (first["first_attempts"], first["correct_percent"]) == ("2", "50")
    assert first["most_chosen_wrong"] == q0.options[wrong_option(q0)]
    assert rows[-1]["first_attempts"] == "0" and rows[-1]["correct_percent"] == ""


async def test_the_chart_is_a_png(tutor, clock) -> None:
    await seed_class(tutor, clock, GUILD)
    assert render_chart(await tutor.class_report.report(GUILD, "week")).startswith(b"\x89PNG")


def test_long_lists_are_clipped_with_how_many_more() -> None:
    lines = [f"student {n:03}" for n in range(200)]
    text = clip_lines(lines, 100)
    assert len(text) <= 100 and text.endswith(f"… and {200 - text.count(chr(10))} more")
    assert clip_lines(lines[:3], 100) == "student 000\nstudent 001\nstudent 002"


# -- the console -------------------------------------------------------------------------


async def test_the_console_prints_the_report_and_saves_the_files(tutor, clock, tmp_path) -> None:
    await seed_class(tutor, clock, 0)  # the console's own guild
    out = await run_script(tutor, ["/class-report period:all-time"], charts_dir=tmp_path)
    assert "Class report: all time" in out
    assert "3 students, 3 active in all time" in out
    assert "it asks Discord for no member list" in out
    folder = tmp_path / "class-report-all-time" / "all-lessons"
    for name in ("students.csv", "questions.csv", "class-report.png"):
        assert f"Saved: {(folder / name).resolve()}" in out
    rows = read_csv((folder / "students.csv").read_bytes())
    assert [row["name"] for row in rows] == ["ann", "ben", "cid"]


async def test_the_console_refuses_students_and_bad_periods(tutor) -> None:
    out = await run_script(tutor, ["/class-report period:year", "/user bob", "/class-report"])
    assert "period must be week, month or all-time." in out
    assert "Only teachers can do that; bob is a student here" in out


async def test_a_student_sees_only_their_own_progress_in_the_console(tutor) -> None:
    out = await run_script(tutor, ["/user bob", "/progress member:ada", "/progress"])
    assert "bob can see their own progress: /progress without a member." in out
    assert "Progress of bob" in out and "Progress of ada" not in out


def test_last_active_is_said_in_days() -> None:
    today = date(2026, 3, 2)
    assert [last_active_words(d, today) for d in (today, today - timedelta(1), None)] == [
        "today",
        "yesterday",
        "never",
    ]
