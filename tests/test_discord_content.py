"""/tutor-content through real discord.py and the stand-in: uploads in each format, exact
file:line problems, the size limit, teachers only, list, remove, export and template."""

from __future__ import annotations

import pytest

from bot.core.code_runs import RunResult
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot
from tests.factories import CannedSandbox, make_course
from tests.fake_discord import FakeDiscord, UserFile
from tests.fake_discord.fixtures import fake_discord
from tests.test_teacher_content import CSV, HEADER, LESSON, TSV

__all__ = ["fake_discord"]


@pytest.fixture
async def bot(fake_discord: FakeDiscord, tmp_path, clock):
    sandbox = CannedSandbox(
        respond=lambda code, stdin: RunResult("hi\n", "", 0, False, False, False, 5, 4, 2048)
    )
    async with connected_bot(
        fake_discord, tmp_path / "t.sqlite3", make_course(), clock, CONTENT, sandbox=sandbox
    ) as b:
        yield b


async def command(fake: FakeDiscord, name: str, options=None, user=None):
    ix = await fake.slash(name, options or {}, user=user or fake.guild.teacher)
    return await ix.original(lambda m: not m.loading)


async def test_a_teacher_uploads_each_format_and_students_see_it(fake_discord, bot) -> None:
    lecture = UserFile("lecture.csv", CSV.encode())
    reply = await command(fake_discord, "tutor-content upload", {"file": lecture, "lesson": "beta"})
    assert reply.content == "Saved as version 1: 2 questions. Your students see it now."
    deck = UserFile("deck.txt", TSV.encode())
    reply = await command(fake_discord, "tutor-content upload", {"file": deck, "lesson": "alpha"})
    assert reply.content.startswith("Saved as version 2: 1 flashcard.")
    reply = await command(fake_discord, "tutor-content upload",
                          {"file": UserFile("my-lesson.yaml", LESSON.encode())})  # fmt: skip
    assert reply.content.startswith("Saved as version 3: 1 lesson.")
    lessons = await command(fake_discord, "lessons", user=fake_discord.guild.student)
    assert "My own lesson** (`my-lesson`) ✏️ your teacher's" in lessons.embeds[0]["description"]
    listed = await command(fake_discord, "tutor-content list")
    assert listed.embeds[0]["description"].count("\n") == 2
    assert listed.embeds[0]["description"].startswith("v1 · lecture.csv · 2 items")


async def test_a_broken_file_gets_every_problem_by_line_and_nothing_is_saved(
    fake_discord, bot
) -> None:
    broken = f"{HEADER}\nFine?,yes,no,,,1,ok,easy,alpha\nLost?,yes,no,,,1,ok,easy,nowhere\n"
    reply = await command(fake_discord, "tutor-content upload",
                          {"file": UserFile("lecture.csv", broken.encode())})  # fmt: skip
    embed = reply.embeds[0]
    assert embed["title"] == "Nothing was saved: 1 problem to fix."
    assert embed["description"] == "lecture.csv:3: no lesson 'nowhere' in this server's course"
    assert await bot.tutor.content.uploads(fake_discord.guild.id) == []


async def test_too_large_and_not_a_teacher_are_refused(fake_discord, bot) -> None:
    big = UserFile("huge.csv", b"x" * (256 * 1024 + 1))
    reply = await command(fake_discord, "tutor-content upload", {"file": big})
    assert reply.content == "huge.csv is 262,145 bytes; the limit is 256 KiB."
    student = fake_discord.guild.student
    lecture = UserFile("lecture.csv", CSV.encode())
    ix = await fake_discord.slash("tutor-content upload", {"file": lecture}, user=student)
    assert "Only teachers" in (await ix.response()).message.content


async def test_export_uploads_back_unchanged_and_templates_upload_too(fake_discord, bot) -> None:
    guild = fake_discord.guild.id
    await bot.tutor.content.upload(guild, 1, "my-lesson.yaml", LESSON.encode())
    await bot.tutor.content.upload(guild, 1, "lecture.csv", CSV.encode(), "beta")
    reply = await command(fake_discord, "tutor-content export")
    [exported] = reply.attachments
    assert exported.filename == "server-content.yaml"
    before = bot.tutor.course_for(guild)
    again = await command(fake_discord, "tutor-content upload",
                          {"file": UserFile("server-content.yaml", exported.data)})  # fmt: skip
    assert again.content.startswith("Saved as version 3")
    assert bot.tutor.course_for(guild) == before
    templates = await command(fake_discord, "tutor-content template")
    assert [a.filename for a in templates.attachments] == ["questions.csv", "flashcards.tsv"]
    csv_file, tsv_file = templates.attachments
    in_this_course = csv_file.data.replace(b"coroutines", b"alpha")  # the test course's lesson
    await bot.tutor.content.upload(guild, 1, "questions.csv", in_this_course, dry_run=True)
    await bot.tutor.content.upload(guild, 1, "flashcards.tsv", tsv_file.data, "alpha", dry_run=True)
    removed = await command(fake_discord, "tutor-content remove", {"target": "3"})
    assert removed.content.startswith("Removed 5 items.")  # a lesson of 3, 2 questions
