"""Teacher settings, content reload, forget-me, friendly errors, restart-proof buttons."""

from __future__ import annotations

import asyncio
import logging
import shutil

import pytest

from bot.core.context import Learner
from bot.core.option_order import Shown
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot, custom_id_of
from tests.fake_discord import FakeDiscord
from tests.fake_discord.fixtures import fake_discord

__all__ = ["fake_discord"]


@pytest.fixture
async def content_copy(tmp_path):
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


@pytest.fixture
async def bot(fake_discord: FakeDiscord, tmp_path, course, clock, content_copy):
    async with connected_bot(
        fake_discord, tmp_path / "t.sqlite3", course, clock, content_copy
    ) as b:
        yield b


async def test_a_student_is_refused_admin_commands(fake_discord, bot) -> None:
    ix = await fake_discord.slash("tutor-admin settings", user=fake_discord.guild.student)
    reply = await ix.original()
    assert reply.ephemeral and "Manage Server" in reply.content


async def test_an_admin_sets_the_teacher_role_and_timezone(fake_discord, bot) -> None:
    admin, guild = fake_discord.guild.admin, fake_discord.guild
    role = guild.add_role("Mentors")
    ix = await fake_discord.slash("tutor-admin timezone", {"name": "Europe/Paris"}, user=admin)
    assert (await ix.original()).embeds[0]["fields"][1]["value"] == "Europe/Paris"
    bad = await fake_discord.slash("tutor-admin timezone", {"name": "Mars/Base"}, user=admin)
    assert "not a timezone" in (await bad.original()).content
    settings = await bot.tutor.guilds.settings(guild.id)
    assert settings.timezone == "Europe/Paris"
    await bot.tutor.guilds.update(guild.id, teacher_role_id=role.id)
    # The default "Teacher" role no longer counts once another role is chosen.
    refused = await fake_discord.slash("class-quiz start", user=guild.teacher)
    assert "Only teachers" in (await refused.original()).content


async def test_reload_keeps_the_last_good_course_and_reports_errors(
    fake_discord, bot, content_copy
) -> None:
    admin = fake_discord.guild.admin
    before = bot.tutor.course
    lesson_file = content_copy / "lessons" / "tasks.yaml"
    lesson_file.write_text(
        lesson_file.read_text().replace("id: tasks\n", "id: tasks\ncolour: red\n", 1)
    )
    ix = await fake_discord.slash("tutor-admin reload", user=admin)
    reply = await ix.original(lambda m: not m.loading)
    assert "the current course stays in place" in reply.content
    assert "tasks.yaml:2: unknown key 'colour'" in reply.content
    assert bot.tutor.course is before

    lesson_file.write_text(lesson_file.read_text().replace("colour: red\n", ""))
    ok = await fake_discord.slash("tutor-admin reload", user=admin)
    reloaded = (await ok.original(lambda m: not m.loading)).content
    assert reloaded.startswith(f"Reloaded: {len(before.lessons)} lessons")
    assert bot.tutor.course is not before


async def test_the_reload_reply_says_the_other_bot_processes_follow(fake_discord, bot) -> None:
    ix = await fake_discord.slash("tutor-admin reload", user=fake_discord.guild.admin)
    reply = (await ix.original(lambda m: not m.loading)).content
    assert "This server has the new course now" in reply
    assert "the others load it from their own course folder within 30 s" in reply
    # ... because this process follows the others' reloads too (tests/test_course_reloads.py).
    assert "course-follow" in {task.get_name() for task in asyncio.all_tasks()}


async def test_forget_me_after_confirmation(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    who = Learner(fake_discord.guild.id, student.id, "s")
    q = bot.tutor.quiz.question("tasks-q1", 0)
    await bot.tutor.quiz.answer(who, Shown.as_written(q), q.answer_index)
    ix = await fake_discord.slash("tutor forget-me", user=student)
    prompt = await ix.original()
    assert prompt.ephemeral and "cannot be undone" in prompt.content
    confirm = await fake_discord.click(
        prompt, custom_id_of(prompt, "Yes, delete my data"), user=student
    )
    await confirm.response()
    assert "deleted" in prompt.content
    assert await bot.tutor.ctx.db.fetchall("SELECT * FROM learners") == []


async def test_an_unanswered_confirmation_disables_its_buttons(
    fake_discord, bot, monkeypatch
) -> None:
    from bot.discord.cogs.admin import ForgetMeView

    monkeypatch.setattr(ForgetMeView, "TIMEOUT_S", 0.3)
    ix = await fake_discord.slash("tutor forget-me", user=fake_discord.guild.student)
    prompt = await ix.original(lambda m: m.content == "Cancelled (timed out).")
    buttons = [c for row in prompt.components for c in row["components"]]
    assert buttons and all(button.get("disabled") for button in buttons)


async def test_an_unexpected_error_is_one_friendly_message_and_a_log_line(
    fake_discord, bot, caplog, monkeypatch
) -> None:
    async def broken(who):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(bot.tutor.progress, "by_lesson", broken)
    with caplog.at_level(logging.ERROR, logger="bot.discord"):
        ix = await fake_discord.slash("lessons", user=fake_discord.guild.student)
        reply = await ix.original()
    assert reply.ephemeral and reply.content.startswith("Sorry, something went wrong")
    assert "database on fire" not in reply.content
    [record] = [r for r in caplog.records if r.name == "bot.discord"]
    assert f"guild={fake_discord.guild.id} user={fake_discord.guild.student.id}" in record.message
    assert "command=lessons" in record.message


async def test_flashcard_buttons_keep_working_after_a_restart(
    fake_discord, bot, tmp_path, course, clock, content_copy
) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("flashcards review", user=student)
    card = await ix.original(lambda m: not m.loading)
    await fake_discord.stop_client(bot)

    async with connected_bot(fake_discord, tmp_path / "t.sqlite3", course, clock, content_copy):
        show = await fake_discord.click(card, custom_id_of(card, "Show answer"), user=student)
        await show.response()
        assert card.embeds[0]["fields"][0]["name"] == "Answer"
        good = await fake_discord.click(card, custom_id_of(card, "Good"), user=student)
        await good.response()
        assert "1 rated this session" in card.embeds[0]["footer"]["text"]
