"""A class-wide quiz through real discord.py and the fake Discord: 50 students at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.core.classquiz import ClassQuiz
from bot.discord.client import TutorBot
from bot.discord.ui.classquiz import answer_view, result_embed
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot, custom_id_of
from tests.factories import ManualTimer
from tests.fake_discord import FakeDiscord, FakeGuild, FakeUser, point_discord_py_at

STUDENTS = 50


@pytest.fixture
async def classroom(tmp_path, course, clock):
    guild = FakeGuild()
    students = [guild.add_member(FakeUser(f"student{i:02}")) for i in range(STUDENTS)]
    async with FakeDiscord(guild=guild) as fake:
        with point_discord_py_at(fake):
            timer = ManualTimer(clock)

            def use_timer(bot: TutorBot) -> None:
                bot.tutor.class_quizzes.sleep = timer.sleep

            async with connected_bot(
                fake, tmp_path / "t.sqlite3", course, clock, CONTENT, prepare=use_timer
            ) as bot:
                yield fake, bot, timer, students


async def test_a_student_cannot_start_a_class_quiz(classroom) -> None:
    fake, bot, _, _ = classroom
    ix = await fake.slash("class-quiz start", user=fake.guild.student)
    reply = await ix.original()
    assert reply.ephemeral and reply.content.startswith("Only teachers can do that")
    assert bot.tutor.class_quizzes.running() == []


async def test_fifty_students_in_one_second_each_counted_once(classroom) -> None:
    fake, bot, timer, students = classroom
    channel = fake.guild.text_channel
    ix = await fake.slash(
        "class-quiz start",
        {"lesson": "tasks", "questions": 2, "seconds": 10},
        user=fake.guild.teacher,
    )
    assert "Class quiz!" in (await ix.original()).content
    busy = await fake.slash("class-quiz start", user=fake.guild.teacher)
    assert "already running" in (await busy.original()).content

    question = await fake.wait_for_message(channel, lambda m: bool(m.embeds))
    quiz = bot.tutor.class_quizzes.get(channel.id)
    assert quiz is not None
    shown = quiz.shown(0)  # the letters as rendered: options are shuffled per question
    right = "ABCDE"[shown.key_position]
    wrong_option = 1 - quiz.current.answer_index if quiz.current.answer_index < 2 else 0
    wrong = "ABCDE"[shown.position_of(wrong_option)]

    clicks = await asyncio.gather(
        *(
            fake.click(question, custom_id_of(question, right if i % 5 else wrong), user=s)
            for i, s in enumerate(students)
        )
    )
    replies = await asyncio.gather(*(c.response() for c in clicks))
    assert all(r.ephemeral and "Locked in" in r.message.content for r in replies)

    again = await fake.click(question, custom_id_of(question, wrong), user=students[1])
    assert "first answer counts" in (await again.response()).message.content
    assert len(quiz.answers[0]) == STUDENTS

    await timer.advance()  # 5 s: a countdown edit of the same message
    await fake.wait_for_message(channel, lambda m: m is question and "5 s left" in str(m.embeds))
    timer.clock.advance(seconds=5.5)  # past the deadline, before the timer fires
    late = await fake.click(question, custom_id_of(question, right), user=students[0])
    assert "Time's up" in (await late.response()).message.content
    await timer.advance()  # the timer wakes up: results
    await fake.wait_for_message(channel, lambda m: m is question and "time's up" in str(m.embeds))
    split = next(f for f in question.embeds[0]["fields"] if f["name"] == "How the class answered")
    lines = split["value"].splitlines()  # per option as shown, with its text
    options = quiz.questions[0].options
    assert f" 40 · {options[quiz.questions[0].answer_index][:20]}" in lines[shown.key_position]
    assert f" 10 · {options[wrong_option][:20]}" in lines[shown.position_of(wrong_option)]

    await timer.advance()  # pause between questions
    second = await fake.wait_for_message(channel, lambda m: bool(m.embeds) and m is not question)
    await timer.advance()
    await timer.advance()
    podium = await fake.wait_for_message(
        channel, lambda m: bool(m.embeds) and "podium" in m.embeds[0]["title"]
    )
    assert second is not podium
    assert podium.embeds[0]["description"].count("points") == STUDENTS
    rows = await bot.tutor.ctx.db.fetchall(
        "SELECT source, count(*), sum(correct) FROM quiz_answers GROUP BY source"
    )
    assert rows == [("class", STUDENTS, STUDENTS * 4 // 5)]
    assert bot.tutor.class_quizzes.running() == []


async def test_a_teacher_stops_the_quiz_and_results_are_still_saved(classroom) -> None:
    fake, bot, _, students = classroom
    channel = fake.guild.text_channel
    await fake.slash("class-quiz start", {"questions": 3}, user=fake.guild.teacher)
    question = await fake.wait_for_message(channel, lambda m: bool(m.embeds))
    quiz = bot.tutor.class_quizzes.get(channel.id)
    right = "ABCDE"[quiz.shown(quiz.index).key_position]
    await (await fake.click(question, custom_id_of(question, right), user=students[0])).response()

    stop = await fake.slash("class-quiz stop", user=fake.guild.teacher)
    assert "Stopped" in (await stop.original(lambda m: not m.loading)).content
    podium = await fake.wait_for_message(channel, lambda m: "stopped" in str(m.embeds))
    assert "student00" in podium.embeds[0]["description"]
    rows = await bot.tutor.ctx.db.fetchall("SELECT points FROM quiz_answers")
    assert rows == [(1000,)]
    again = await fake.slash("class-quiz stop", user=fake.guild.teacher)
    assert "No class quiz" in (await again.original()).content


async def test_buttons_left_by_a_crashed_quiz_answer_politely(classroom) -> None:
    """A graceful stop disables the buttons; after a crash they stay live, and a click
    must still get an answer rather than "interaction failed"."""
    fake, bot, _, students = classroom
    channel = fake.guild.text_channel
    leftover = ClassQuiz(fake.guild.id, channel.id, 1, tuple(bot.tutor.quiz.pool(0)[:1]), 20)
    leftover.open_next(bot.tutor.ctx.now())  # as if the process died mid-question
    await bot.get_channel(channel.id).send(view=answer_view(leftover))
    question = await fake.wait_for_message(channel, lambda m: bool(m.custom_ids))
    late = await fake.click(question, question.custom_ids[0], user=students[3])
    reply = (await late.response()).message
    assert reply.ephemeral and reply.content == "This class quiz is over."


def test_the_class_split_has_one_line_per_option_even_for_printed_output(course) -> None:
    multi_line = next(q for q in course.questions if any("\n" in o for o in q.options))
    quiz = ClassQuiz(1, 2, 3, (multi_line,), 20)
    quiz.open_next(datetime(2026, 3, 2, tzinfo=UTC))
    split = next(
        f for f in result_embed(quiz, quiz.close()).to_dict()["fields"]
        if f["name"] == "How the class answered"
    )  # fmt: skip
    assert len(split["value"].splitlines()) == len(multi_line.options)
