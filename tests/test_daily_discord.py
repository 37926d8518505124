"""Daily prompts through real discord.py and the local Discord stand-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.core.context import Learner
from bot.core.daily import ChannelPrompt, DmPrompt
from bot.discord.client import TutorBot
from bot.discord.sender import DiscordSender
from bot.storage import daily as store
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot, custom_id_of, labels
from tests.fake_discord import (
    FakeDiscord,
    FakeGuild,
    FakeMessage,
    FakeUser,
    point_discord_py_at,
)
from tests.test_daily_scheduler import VirtualTime, utc

CLASS_SIZE = 40


@pytest.fixture
async def world(tmp_path, course, clock):
    """A running bot whose daily task sleeps in virtual time; it is 08:00 on a Monday."""
    guild = FakeGuild()
    classmates = [guild.add_member(FakeUser(f"student{i:02}")) for i in range(CLASS_SIZE)]
    clock.now = utc(2026, 3, 2, 8)
    time = VirtualTime(clock)
    # Discord's limit is per route: 10 per 0.25 s makes a class's DMs hit it.
    async with FakeDiscord(guild=guild, rate_limit=10, rate_window=0.25) as fake:
        with point_discord_py_at(fake):

            def use_virtual_time(bot: TutorBot) -> None:
                bot.tutor.daily.sleep = time.sleep

            async with connected_bot(
                fake, tmp_path / "t.sqlite3", course, clock, CONTENT, prepare=use_virtual_time
            ) as bot:
                yield fake, bot, time, classmates


async def states(bot) -> list[str]:
    rows = await bot.tutor.ctx.db.fetchall("SELECT state FROM daily_claims")
    return [state for (state,) in rows]


def has_embed(title: str) -> Callable[[FakeMessage], bool]:
    return lambda m: bool(m.embeds) and m.embeds[0].get("title", "").startswith(title)


async def click(fake: FakeDiscord, message: FakeMessage, label: str, user):
    ix = await fake.click(message, custom_id_of(message, label), user=user)
    await ix.response()
    return ix


async def test_a_prompt_reaches_the_channel_and_a_dm_and_their_buttons_start_reviews(
    world,
) -> None:
    fake, bot, time, _ = world
    guild, student = fake.guild, fake.guild.student
    ix = await fake.slash(
        "tutor-admin daily", {"time": "09:00", "leaderboard_day": "never"}, user=guild.admin
    )
    reply = await ix.original()
    assert reply.ephemeral
    assert f"Daily prompt in <#{guild.text_channel.id}> at **09:00** (UTC)" in reply.content
    ix = await fake.slash("flashcards daily dm", {"time": "9:00"}, user=student)
    assert "Your daily DM at **09:00** (UTC)" in (await ix.original()).content

    await time.run_to(utc(2026, 3, 2, 9, 1))
    post = await fake.wait_for_message(guild.text_channel, has_embed("Card of the day"))
    assert labels(post) == ["Start my review"]
    dm = await fake.wait_for_message(fake.dm_channel(student), has_embed("Your daily flashcards"))
    assert "due and 10 new" in dm.embeds[0]["description"]
    assert labels(dm) == ["Review now", "Snooze 1 h"]

    review = await click(fake, dm, "Review now", student)
    card = await review.original(lambda m: not m.loading)
    assert card.ephemeral and card.embeds[0]["title"].startswith("Flashcard ·")
    await click(fake, card, "Show answer", student)
    await click(fake, card, "Good", student)
    stats = await bot.tutor.flashcards.stats(Learner(guild.id, student.id))
    assert stats.reviewed_today == 1  # the DM's review counts for the server

    from_channel = await click(fake, post, "Start my review", guild.teacher)
    card = await from_channel.original(lambda m: not m.loading)
    assert card.embeds[0]["title"].startswith("Flashcard ·")

    await click(fake, dm, "Snooze 1 h", student)
    assert dm.content.startswith("⏰ Snoozed") and labels(dm) == ["Review now"]
    await time.run_to(utc(2026, 3, 2, 10, 1))
    again = await fake.wait_for_message(
        fake.dm_channel(student), lambda m: m.id != dm.id and has_embed("Your daily")(m)
    )
    assert labels(again) == ["Review now"]  # a snoozed prompt cannot be snoozed again
    assert [m for m in fake.messages(guild.text_channel) if not m.ephemeral] == [post]


async def test_closed_dms_and_a_lost_channel_are_told_on_the_next_command(world) -> None:
    fake, bot, time, _ = world
    guild, student = fake.guild, fake.guild.student
    await bot.tutor.daily.set_channel(
        guild.id, guild.text_channel.id, "09:00", leaderboard_day="never"
    )
    await bot.tutor.daily.set_dm(Learner(guild.id, student.id), "09:00")
    fake.block_dms(student)
    fake.fail_channel(guild.text_channel, 404)
    await time.run_to(utc(2026, 3, 2, 9, 1))
    await time.until_idle()
    assert await states(bot) == ["failed", "failed"]

    ix = await fake.slash("flashcards stats", user=student)
    [note] = await ix.followups(1)
    assert note.ephemeral and "do not accept DMs" in note.content
    assert "could not be posted" not in note.content  # that one is for teachers

    ix = await fake.slash("tutor-admin settings", user=guild.admin)
    [note] = await ix.followups(1)
    assert note.ephemeral and "no longer exists" in note.content
    assert not await bot.tutor.daily.notices(guild.id, guild.admin.id, teacher=True)  # told once


async def test_a_class_fan_out_respects_rate_limits_and_loses_nothing(world) -> None:
    fake, bot, time, classmates = world
    for member in classmates:
        await bot.tutor.daily.set_dm(Learner(fake.guild.id, member.id, member.name), "09:00")
    await time.run_to(utc(2026, 3, 2, 9, 1))
    await time.until_idle()
    assert await states(bot) == ["sent"] * CLASS_SIZE
    for member in classmates:
        assert len(fake.messages(fake.dm_channel(member))) == 1
    assert len(fake.calls_to("POST", "/users/@me/channels")) == CLASS_SIZE
    assert all(call.status != 429 for call in fake.calls)  # discord.py waited instead


async def test_settings_commands_autocomplete_timezones_refuse_bad_times_and_turn_off(
    world,
) -> None:
    fake, bot, _, _ = world
    guild, student = fake.guild, fake.guild.student
    for command, user in (("tutor-admin daily", guild.admin), ("flashcards daily dm", student)):
        ix = await fake.autocomplete(
            command, focused="timezone", value="paris", options={"time": "09:00"}, user=user
        )
        assert [c["value"] for c in (await ix.response()).choices] == ["Europe/Paris"]

    ix = await fake.slash("flashcards daily dm", {"time": "25:00"}, user=student)
    assert "not a time like 08:30" in (await ix.original()).content
    ix = await fake.slash(
        "flashcards daily dm", {"time": "07:00", "timezone": "Mars/Base"}, user=student
    )
    assert "not a timezone name" in (await ix.original()).content

    ix = await fake.slash("tutor-admin daily", {"time": "07:00"}, user=guild.admin)
    assert "The week's leaderboard on Mondays" in (await ix.original()).content
    ix = await fake.slash("tutor-admin daily-off", user=guild.admin)
    assert (await ix.original()).content == "Daily prompt stopped."
    ix = await fake.slash("flashcards daily off", user=student)
    assert (await ix.original()).content.startswith("Daily reminders are off")
    async with bot.tutor.ctx.db.transaction() as conn:
        assert await store.active_channels(conn) == []
        assert await store.active_students(conn) == []


async def test_after_a_crash_the_bot_finds_a_prompt_it_sent_in_the_dm_history(world) -> None:
    fake, bot, _, classmates = world
    sender = DiscordSender(bot)
    student = classmates[0]
    today = DmPrompt(fake.guild.id, date(2026, 3, 2), due=3, new=2, snoozable=True)
    snoozed = DmPrompt(fake.guild.id, date(2026, 3, 2), due=3, new=2, snoozable=False)
    yesterday = DmPrompt(fake.guild.id, date(2026, 3, 1), due=3, new=2, snoozable=True)
    assert not await sender.dm_has(student.id, today)
    await sender.send_dm(student.id, today)
    assert await sender.dm_has(student.id, today)
    assert not await sender.dm_has(student.id, snoozed)  # the snooze is another prompt
    assert not await sender.dm_has(student.id, yesterday)
    assert not await sender.dm_has(classmates[1].id, today)  # another student's DM


async def test_after_a_crash_the_bot_finds_a_card_of_the_day_it_posted(world) -> None:
    fake, bot, _, _ = world
    sender = DiscordSender(bot)
    channel = fake.guild.text_channel.id
    monday = ChannelPrompt(fake.guild.id, date(2026, 3, 2), None, [])
    assert not await sender.channel_has(channel, monday)
    await sender.send_channel(channel, monday)
    assert await sender.channel_has(channel, monday)
    assert not await sender.channel_has(
        channel, ChannelPrompt(fake.guild.id, date(2026, 3, 3), None, [])
    )
