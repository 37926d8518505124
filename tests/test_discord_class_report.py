"""/class-report and /progress member: through real discord.py and the Discord stand-in."""

from __future__ import annotations

import csv
import io

import pytest

from bot.core.context import Learner
from bot.core.option_order import Shown
from tests.class_seed import seed_class
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot
from tests.fake_discord import FakeDiscord
from tests.fake_discord import state as fake_state
from tests.fake_discord.fixtures import fake_discord

__all__ = ["fake_discord"]


@pytest.fixture
async def bot(fake_discord: FakeDiscord, tmp_path, course, clock):
    async with connected_bot(fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT) as b:
        await seed_class(b.tutor, clock, fake_discord.guild.id)
        yield b


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_a_teacher_gets_the_report_privately_with_a_chart_and_two_csvs(
    fake_discord, bot
) -> None:
    ix = await fake_discord.slash(
        "class-report", {"period": "all-time"}, user=fake_discord.guild.teacher
    )
    message = await ix.original(lambda m: not m.loading)
    assert message.ephemeral
    files = {a.filename: a.data for a in message.attachments}
    assert sorted(files) == ["class-report.png", "questions.csv", "students.csv"]
    assert files["class-report.png"].startswith(b"\x89PNG")
    students = rows(files["students.csv"])
    assert [(r["name"], r["active_days"], r["cards_reviewed"]) for r in students] == [
        ("ann", "2", "3"),
        ("ben", "1", "0"),
        ("cid", "1", "1"),
    ]
    assert len(rows(files["questions.csv"])) == len(bot.tutor.course.questions)
    embed = message.embeds[0]
    assert embed["title"] == "Class report: all time"
    assert "no privileged intent" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Students, least active first"].splitlines()[0].startswith("ben · 1 active day")
    assert embed["image"]["url"] == "attachment://class-report.png"


async def test_a_big_class_is_clipped_to_fit_the_embed(fake_discord, bot) -> None:
    question = bot.tutor.course.questions[0]
    for n in range(120):
        who = Learner(fake_discord.guild.id, 100 + n, f"student number {n:03}")
        await bot.tutor.quiz.answer(who, Shown.as_written(question), question.answer_index)
    ix = await fake_discord.slash("class-report", user=fake_discord.guild.teacher)
    message = await ix.original(lambda m: not m.loading)  # the stand-in refuses oversized embeds
    students = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}[
        "Students, least active first"
    ]
    assert len(students) <= 1024 and students.splitlines()[-1].startswith("… and ")
    [csv_file] = [a for a in message.attachments if a.filename == "students.csv"]
    assert len(rows(csv_file.data)) == 123


async def test_a_student_cannot_see_the_class_report(fake_discord, bot) -> None:
    ix = await fake_discord.slash("class-report", user=fake_discord.guild.student)
    reply = await ix.original()
    assert reply.ephemeral and reply.content.startswith("Only teachers can do that")
    assert reply.attachments == []


async def test_a_student_asking_for_someone_elses_progress_is_refused(fake_discord, bot) -> None:
    guild = fake_discord.guild
    ix = await fake_discord.slash("progress", {"member": guild.teacher}, user=guild.student)
    reply = await ix.original()
    assert reply.ephemeral and reply.content.startswith("You can see your own progress")
    assert reply.attachments == []


async def test_a_teacher_sees_a_students_progress(fake_discord, bot) -> None:
    guild = fake_discord.guild
    ix = await fake_discord.slash("progress", {"member": guild.student}, user=guild.teacher)
    message = await ix.original(lambda m: not m.loading)
    assert message.embeds[0]["title"] == f"Progress of {guild.student.name}"


async def test_files_over_the_upload_limit_are_left_out_and_named(
    fake_discord, bot, monkeypatch
) -> None:
    """Discord tells the bot each interaction's upload limit; what does not fit is named."""
    monkeypatch.setattr(fake_state, "ATTACHMENT_SIZE_LIMIT", 2_000)
    ix = await fake_discord.slash("class-report", user=fake_discord.guild.teacher)
    message = await ix.original(lambda m: not m.loading)
    assert [a.filename for a in message.attachments] == ["students.csv"]
    footer = message.embeds[0]["footer"]["text"]
    assert "Too large to attach here: questions.csv, class-report.png" in footer
    assert "image" not in message.embeds[0]
