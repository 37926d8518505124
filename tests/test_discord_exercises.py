"""Exercises through real discord.py and the stand-in: next, hints, the Submit modal,
a .py attachment, the solution, and a class assignment."""

from __future__ import annotations

import pytest

from bot.core.context import Learner
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot, custom_id_of, labels
from tests.factories import CannedSandbox, make_course
from tests.fake_discord import FakeDiscord, UserFile
from tests.fake_discord.fixtures import fake_discord

__all__ = ["fake_discord"]


@pytest.fixture
def sandbox() -> CannedSandbox:
    return CannedSandbox()


@pytest.fixture
async def bot(fake_discord: FakeDiscord, tmp_path, clock, sandbox):
    course = make_course(exercises=2)
    async with connected_bot(
        fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT, sandbox=sandbox
    ) as b:
        yield b


async def click(fake: FakeDiscord, message, label: str, user):
    ix = await fake.click(message, custom_id_of(message, label), user=user)
    await ix.response()
    return ix


async def submit_in_modal(fake: FakeDiscord, message, code: str, user):
    opened = await (
        await fake.click(message, custom_id_of(message, "Submit code"), user=user)
    ).response()
    assert opened.type.name == "modal"
    [field] = [row["components"][0] for row in opened.data["components"]]
    ix = await fake.submit_modal(opened.data["custom_id"], {field["custom_id"]: code}, user=user)
    return field, await ix.original(lambda m: not m.loading)


async def test_next_hints_submit_and_solve(fake_discord, bot, sandbox) -> None:
    student = fake_discord.guild.student
    card = (await (await fake_discord.slash("exercise next", user=student)).response()).message
    assert card.ephemeral and card.embeds[0]["title"] == "Exercise · Alpha-X0"
    assert labels(card) == ["Submit code", "Hint 1", "Solution"]
    await click(fake_discord, card, "Hint 1", student)
    assert [f["name"] for f in card.embeds[0]["fields"]] == ["💡 Hint 1"]
    assert labels(card) == ["Submit code", "Hint 2", "Solution"]

    field, failed = await submit_in_modal(fake_discord, card, "print('hi')", student)
    assert field["value"] == "# your code\n"  # the starter
    assert failed.embeds[0]["title"].endswith("❌ 0 of 1 check passed.")
    assert "❌ solved: nothing solved" in failed.embeds[0]["description"]
    assert "hi" in failed.embeds[0]["fields"][0]["value"]

    field, solved = await submit_in_modal(fake_discord, card, "solved = True", student)
    assert field["value"] == "print('hi')"  # the last attempt
    assert solved.embeds[0]["title"].endswith("✅ Solved! +30 points")
    assert "Next exercise" in labels(solved)
    await click(fake_discord, solved, "Solution", student)
    report = await bot.tutor.progress.report(learner(fake_discord))
    assert report.exercises_solved == 1


def learner(fake: FakeDiscord) -> Learner:
    return Learner(fake.guild.id, fake.guild.student.id)


async def test_the_solution_is_refused_until_earned(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    card = (
        await (
            await fake_discord.slash("exercise show", {"exercise": "beta-x1"}, user=student)
        ).response()
    ).message
    assert card.component(custom_id_of(card, "Solution"))["disabled"]


async def test_a_py_file_is_graded_for_the_exercise_last_opened(fake_discord, bot, sandbox) -> None:
    student = fake_discord.guild.student
    await (
        await fake_discord.slash("exercise show", {"exercise": "beta-x1"}, user=student)
    ).response()
    ix = await fake_discord.slash(
        "exercise submit", {"file": UserFile("mine.py", b"solved = 1\n")}, user=student
    )
    reply = await ix.original(lambda m: not m.loading)
    assert reply.embeds[0]["title"].startswith("Beta-X1: ✅ Solved!")
    assert sandbox.runs[-1][0] == "solved = 1\n"
    wrong = await fake_discord.slash(
        "exercise submit", {"file": UserFile("notes.txt", b"x")}, user=student
    )
    assert (
        await wrong.response()
    ).message.content == "Attach a Python file (its name ends in .py)."


async def test_the_list_marks_what_is_solved(fake_discord, bot) -> None:
    student = fake_discord.guild.student
    await bot.tutor.exercises.submit(learner(fake_discord), "alpha-x1", "solved")
    listed = (await (await fake_discord.slash("exercise list", user=student)).response()).message
    embed = listed.embeds[0]
    assert embed["title"] == "Exercises: 1 of 4 solved"
    assert "✅ `alpha-x1`" in embed["description"] and "▫️ `alpha-x0`" in embed["description"]


async def test_a_class_exercise_is_posted_and_summed_up(fake_discord, bot) -> None:
    g = fake_discord.guild
    ix = await fake_discord.slash(
        "class-exercise start", {"exercise": "alpha-x0", "minutes": 5}, user=g.teacher
    )
    await ix.original(lambda m: not m.loading)
    posted = await fake_discord.wait_for_message(
        g.text_channel, lambda m: "Class exercise" in str(m.embeds)
    )
    card = (
        await (
            await fake_discord.click(
                posted, custom_id_of(posted, "Open the exercise"), user=g.student
            )
        ).response()
    ).message
    await submit_in_modal(fake_discord, card, "solved", g.student)
    stop = await fake_discord.slash("class-exercise stop", user=g.teacher)
    summary = (await stop.response()).message.embeds[0]
    assert summary["title"].startswith("Stopped early")
    assert "1 of 1 student solved it" in summary["description"]
    refused = await fake_discord.slash(
        "class-exercise start", {"exercise": "alpha-x0"}, user=g.student
    )
    assert "Only teachers" in (await refused.response()).message.content
