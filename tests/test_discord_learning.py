"""Lessons, flashcards, quizzes and progress through real discord.py and the fake Discord."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from bot.core.context import Learner
from bot.discord.ui.double_clicks import ALREADY_COUNTED
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot, custom_id_of, labels
from tests.fake_discord import FakeDiscord
from tests.fake_discord.fixtures import fake_discord

__all__ = ["fake_discord"]

EVERY_COMMAND = {
    "lessons", "lesson", "flashcards", "quiz", "class-quiz", "run", "progress",
    "leaderboard", "tutor-admin", "tutor", "exercise", "class-exercise", "tutor-content",
    "class-report",
}  # fmt: skip


@pytest.fixture
async def bot(fake_discord: FakeDiscord, tmp_path, course, clock):
    async with connected_bot(fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT) as b:
        yield b


async def click(fake: FakeDiscord, message, label: str, user):
    ix = await fake.click(message, custom_id_of(message, label), user=user)
    await ix.response()
    return ix


async def test_every_command_is_registered_and_synced_once(fake_discord, bot) -> None:
    assert {c["name"] for c in fake_discord.synced_commands()} == EVERY_COMMAND
    assert len(fake_discord.calls_to("PUT", "/applications/*/commands")) == 1


async def test_an_unchanged_command_tree_is_not_synced_again(
    fake_discord, bot, tmp_path, course, clock
) -> None:
    await fake_discord.stop_client(bot)
    async with connected_bot(fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT):
        assert len(fake_discord.calls_to("PUT", "/applications/*/commands")) == 1


async def test_a_development_guild_gets_a_guild_scoped_sync(
    fake_discord, tmp_path, course, clock
) -> None:
    guild_id = fake_discord.guild.id
    async with connected_bot(
        fake_discord, tmp_path / "d.sqlite3", course, clock, CONTENT, dev_guild_id=guild_id
    ):
        assert len(fake_discord.calls_to("PUT", f"/applications/*/guilds/{guild_id}/commands")) == 1


async def test_lessons_outline_lists_every_lesson(fake_discord, bot) -> None:
    ix = await fake_discord.slash("lessons", user=fake_discord.guild.student)
    reply = await ix.response()
    assert reply.ephemeral and reply.message is not None
    description = reply.message.embeds[0]["description"]
    assert all(f"`{lesson.id}`" in description for lesson in bot.tutor.course.lessons)


async def test_lesson_at_a_depth_and_its_buttons(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("lesson", {"topic": "coroutines", "level": "basic"}, user=student)
    message = (await ix.response()).message
    lesson = bot.tutor.course.lesson("coroutines")
    assert message is not None and message.ephemeral
    assert message.embeds[0]["description"] == lesson.summaries.basic
    assert labels(message) == [
        "Basic",
        "Medium",
        "Detailed",
        "Key concepts",
        "Example",
        "Memory aid",
        "Flashcards for this lesson",
        "Quiz me on this",
    ]  # fmt: skip  (no "Run it": no sandbox attached)

    await click(fake_discord, message, "Detailed", student)
    assert message.embeds[0]["description"] == lesson.summaries.detailed
    await click(fake_discord, message, "Key concepts", student)
    assert message.embeds[0]["fields"][0]["name"] == lesson.key_concepts[0].name
    await click(fake_discord, message, "Example", student)
    assert lesson.examples[0].code.splitlines()[0] in message.embeds[0]["description"]
    await click(fake_discord, message, "Memory aid", student)
    assert message.embeds[0]["description"] == lesson.memory_aid


async def test_unknown_topic_gets_did_you_mean(fake_discord, bot) -> None:
    ix = await fake_discord.slash("lesson", {"topic": "corutines"}, user=fake_discord.guild.student)
    reply = await ix.original()
    assert reply.ephemeral and "Did you mean `coroutines`" in reply.content


async def test_topic_autocomplete(fake_discord, bot) -> None:
    ix = await fake_discord.autocomplete(
        "lesson", focused="topic", value="async", user=fake_discord.guild.student
    )
    values = [c["value"] for c in (await ix.response()).choices]
    assert {"why-async", "async-iterators", "async-context-managers"} <= set(values)
    order = [lesson.id for lesson in bot.tutor.course.lessons]
    assert values == sorted(values, key=order.index)  # course order


async def test_flashcard_review_rate_undo_and_summary(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("flashcards review", {"lesson": "tasks"}, user=student)
    card = await ix.original(lambda m: not m.loading)
    assert card.ephemeral and card.embeds[0]["title"] == "Flashcard · tasks"
    for _ in range(3):
        await click(fake_discord, card, "Show answer", student)
        assert card.embeds[0]["fields"][0]["name"] == "Answer"
        await click(fake_discord, card, "Good", student)
    assert "3 rated this session" in card.embeds[0]["footer"]["text"]
    await click(fake_discord, card, "Undo last rating", student)
    assert "2 rated this session" in card.embeds[0]["footer"]["text"]
    await click(fake_discord, card, "Stop", student)
    assert card.embeds[0]["title"] == "Flashcards: session summary"
    who = Learner(fake_discord.guild.id, student.id)
    stats = await bot.tutor.flashcards.stats(who)
    assert stats.reviewed_today == 2


def key_letter(bot, message) -> tuple[str, str]:
    """The letter the key is shown under, read from the rendered buttons (each carries
    ``t:quiz-answer:<question>:<option's content index>:...``), and the question id."""
    for row in message.components:
        for component in row["components"]:
            _, _, question_id, option, *_ = component["custom_id"].split(":")
            if int(option) == bot.tutor.quiz.question(question_id, 0).answer_index:
                return component["label"], question_id
    raise AssertionError("no button carries the key")


async def test_solo_quiz_answer_feedback_and_next(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("quiz", {"lesson": "futures", "difficulty": "easy"}, user=student)
    message = (await ix.response()).message
    assert message is not None and message.ephemeral
    first_id = message.custom_ids[0]
    letter, question_id = key_letter(bot, message)
    question = bot.tutor.quiz.question(question_id, 0)
    await click(fake_discord, message, letter, student)
    verdict = message.embeds[0]["fields"][-1]
    assert verdict["name"].startswith("✅ Correct!") and verdict["value"] == question.explanation
    await click(fake_discord, message, "Next question", student)
    assert message.custom_ids[0] != first_id
    report = await bot.tutor.progress.report(Learner(fake_discord.guild.id, student.id))
    assert report.answered == 1 and report.correct == 1


async def test_the_rendered_buttons_do_not_give_the_key_away(fake_discord, bot) -> None:
    """200 questions as Discord renders them: the key's letter is spread over A-D, and a
    wrong letter says which one was right, by letter and text."""
    student = fake_discord.guild.student
    ix = await fake_discord.slash("quiz", user=student)
    message = (await ix.response()).message
    letters = Counter()
    for _ in range(200):
        letter, _ = key_letter(bot, message)
        letters[letter] += 1
        await click(fake_discord, message, letter, student)
        await click(fake_discord, message, "Next question", student)
    assert max(letters.values()) <= 0.35 * 200, letters
    letter, question_id = key_letter(bot, message)
    await click(fake_discord, message, "A" if letter != "A" else "B", student)
    key = bot.tutor.quiz.question(question_id, 0).answer
    verdict = message.embeds[0]["fields"][-1]["name"]
    assert verdict.startswith(f"❌ Not quite: the answer is **{letter}: {key[:40]}")


async def test_quiz_me_from_a_lesson_opens_a_question_for_that_lesson(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("lesson", {"topic": "futures"}, user=student)
    lesson_message = (await ix.response()).message
    quiz = await click(fake_discord, lesson_message, "Quiz me on this", student)
    question = (await quiz.response()).message
    assert question is not None and question.embeds[0]["footer"]["text"].startswith("futures")


async def test_progress_shows_an_embed_and_a_chart(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("progress", user=student)
    message = await ix.original(lambda m: not m.loading)
    assert message.embeds[0]["title"] == f"Progress of {student.name}"
    [chart] = message.attachments
    assert chart.filename == "progress.png" and chart.data.startswith(b"\x89PNG")


async def test_leaderboard_shows_top_and_own_rank(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    shown = bot.tutor.quiz.shown("tasks-q1", "0123", 0)
    await bot.tutor.quiz.answer(
        Learner(fake_discord.guild.id, student.id, "s"), shown, shown.question.answer_index
    )
    ix = await fake_discord.slash("leaderboard", {"period": "all-time"}, user=student)
    embed = (await ix.response()).message.embeds[0]
    assert embed["title"] == "Leaderboard: all time"
    assert embed["footer"]["text"].startswith("You: #1 with")


async def double_click(fake: FakeDiscord, message, label: str, user) -> list[str]:
    """Two clicks on one button before either is answered, as Discord delivers a double
    click; returns what each was told (a private note, or "" for the message's edit)."""
    custom_id = custom_id_of(message, label)
    clicks = await asyncio.gather(*(fake.click(message, custom_id, user=user) for _ in "12"))
    answers = [await c.response() for c in clicks]
    return [
        a.message.content if a.message is not None and a.message.ephemeral else "" for a in answers
    ]


async def test_a_double_clicked_rating_counts_once(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("flashcards review", {"lesson": "tasks"}, user=student)
    card = await ix.original(lambda m: not m.loading)
    await click(fake_discord, card, "Show answer", student)
    told = await double_click(fake_discord, card, "Good", student)
    assert sorted(told) == ["", ALREADY_COUNTED]
    rows = await bot.tutor.ctx.db.fetchall("SELECT count(*), sum(points) FROM review_log")
    assert rows == [(1, 2)]


async def test_a_double_clicked_answer_counts_once(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("quiz", {"lesson": "futures"}, user=student)
    message = (await ix.response()).message
    letter, _ = key_letter(bot, message)
    told = await double_click(fake_discord, message, letter, student)
    assert sorted(told) == ["", ALREADY_COUNTED]
    rows = await bot.tutor.ctx.db.fetchall("SELECT count(*) FROM quiz_answers")
    assert rows == [(1,)]
    report = await bot.tutor.progress.report(Learner(fake_discord.guild.id, student.id))
    assert report.answered == 1


async def test_a_double_clicked_next_shows_one_question(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("quiz", {"lesson": "futures"}, user=student)
    message = (await ix.response()).message
    letter, _ = key_letter(bot, message)
    await click(fake_discord, message, letter, student)
    edits = len(message.history)
    told = await double_click(fake_discord, message, "Next question", student)
    assert sorted(told) == ["", ALREADY_COUNTED]
    assert len(message.history) == edits + 1  # one new question, not two


async def test_a_double_clicked_undo_undoes_one_rating(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("flashcards review", {"lesson": "tasks"}, user=student)
    card = await ix.original(lambda m: not m.loading)
    for _ in range(2):
        await click(fake_discord, card, "Show answer", student)
        await click(fake_discord, card, "Good", student)
    told = await double_click(fake_discord, card, "Undo last rating", student)
    assert sorted(told) == ["", ALREADY_COUNTED]
    rows = await bot.tutor.ctx.db.fetchall("SELECT count(*) FROM review_log")
    assert rows == [(1,)]
