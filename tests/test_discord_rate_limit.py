"""The per-user rate limit: a flood costs no write and delays nobody else."""

from __future__ import annotations

import asyncio
import logging

import pytest
from discord import InteractionResponseType

from bot.discord.rate_limit import (
    JUDGED_KEPT,
    NOTICE_WITHIN_S,
    PRUNE_FROM,
    SLOW_DOWN,
    TELL_EVERY_S,
    Admission,
    RateLimit,
    TokenBuckets,
)
from tests.conftest import CONTENT
from tests.discord_helpers import button_ids, connected_bot
from tests.fake_discord import FakeDiscord
from tests.fake_discord.fixtures import fake_discord

__all__ = ["fake_discord"]

PER_S, BURST = 5.0, 10
GO = Admission.go
FLOOD = 160


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_a_burst_then_its_rate() -> None:
    ticks = Ticks()
    buckets = TokenBuckets(PER_S, BURST, ticks)
    assert [buckets.take(1) for _ in range(BURST + 1)] == [GO] * BURST + [Admission.tell]
    assert buckets.take(2) is GO, "another user has a bucket of their own"
    ticks.now += 1 / PER_S
    assert buckets.take(1) is GO and buckets.take(1) is not GO


def test_a_refused_user_is_told_once_a_second() -> None:
    ticks = Ticks()
    buckets = TokenBuckets(0.1, 1, ticks)
    assert buckets.take(1) is GO
    assert [buckets.take(1) for _ in range(3)] == [Admission.tell] + [Admission.ignore] * 2
    ticks.now += TELL_EVERY_S
    assert buckets.take(1) is Admission.tell


def test_idle_users_are_forgotten() -> None:
    """A bucket is held only until it is full again: at most burst / rate seconds."""
    ticks = Ticks()
    buckets = TokenBuckets(PER_S, BURST, ticks)
    for user in range(1000):
        for _ in range(BURST):
            buckets.take(user)
        ticks.now += 0.001
    assert len(buckets) == 1000
    ticks.now += BURST / PER_S
    buckets.take(5000)
    assert len(buckets) == 1
    assert buckets.take(0) is GO, "a forgotten user starts with a full bucket"


@pytest.fixture
async def limited_bot(fake_discord: FakeDiscord, tmp_path, course, clock):
    ticks = Ticks()

    def limit(bot) -> None:
        bot.rate_limit = RateLimit(PER_S, BURST, ticks)

    async with connected_bot(
        fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT, prepare=limit
    ) as bot:
        yield bot, ticks


async def test_a_flood_costs_no_write_and_the_next_user_is_answered_before_its_backlog(
    fake_discord, limited_bot, caplog
) -> None:
    """The flood arrives at once, another user's click in the middle of it: the
    flooder's burst is graded, the rest is refused without touching the database (the
    first refusal is told to slow down), and the other user, although clicking after
    that refusal, is answered before its notice (the order Discord saw the answers in)."""
    bot, ticks = limited_bot
    flooder, other = fake_discord.guild.student, fake_discord.guild.teacher
    questions = []
    for user in [other] + [flooder] * FLOOD:  # one a second: within the limit
        ticks.now += 1
        ix = await fake_discord.slash("quiz", user=user)
        questions.append((await ix.response()).message)
    ticks.now += BURST / PER_S  # full buckets
    caplog.set_level(logging.INFO, logger="bot.discord")

    others_question, *flooded = questions
    presses = [(m, button_ids(m, "t:quiz-answer")[0], flooder) for m in flooded]
    presses.insert(
        BURST + 1, (others_question, button_ids(others_question, "t:quiz-answer")[0], other)
    )
    clicks = await fake_discord.click_all(presses)
    asked = clicks.pop(BURST + 1)
    flood = clicks
    last = await fake_discord.slash("leaderboard", user=fake_discord.guild.admin)
    await last.response()  # read after the whole flood: every click of it was judged
    assert (await asked.response()).type is InteractionResponseType.message_update
    answered = await fake_discord.until(
        lambda: (a := [ix for ix in flood if ix.callback]) and len(a) > BURST and a,
        "the flood's burst graded and one notice",
    )
    graded = [ix for ix in answered if ix.callback.type is InteractionResponseType.message_update]
    [told] = [ix for ix in answered if ix not in graded]
    assert told.callback.ephemeral and told.callback.message.content == SLOW_DOWN
    assert (len(graded), bot.rate_limit.refused) == (BURST, FLOOD - BURST)
    rows = await bot.tutor.ctx.db.fetchall("SELECT count(*) FROM quiz_answers")
    assert rows == [(BURST + 1,)], "only what was admitted wrote anything"
    seen = [r for r in caplog.records if r.getMessage().startswith("interaction ")]
    assert len(seen) == BURST + 3, "the rest was dropped as the gateway delivered it"

    callbacks = [c.path.split("/")[2] for c in fake_discord.calls_to("POST", "/interactions/*")]
    assert callbacks.index(str(asked.id)) < callbacks.index(str(told.id)), (
        "the other user waited behind the flood's notice"
    )


class Answerable:
    """Just enough of a discord.Interaction (and its response) for the rate limit."""

    def __init__(self, number: int, user_id: int) -> None:
        self.id = number
        self.user = type("User", (), {"id": user_id})()
        self.response = self
        self.told: list[str] = []
        self.answered = asyncio.Event()

    def is_done(self) -> bool:
        return self.answered.is_set()

    async def send_message(self, content: str, *, ephemeral: bool) -> None:
        self.told.append(content)
        self.answered.set()


def test_answered_interactions_are_let_go_and_what_is_held_stays_bounded() -> None:
    limit = RateLimit(PER_S, BURST, Ticks())
    for number in range(1000):
        interaction = Answerable(number, user_id=number)
        assert limit.admit(interaction)  # type: ignore[arg-type]
        interaction.answered.set()
    assert limit.unanswered <= PRUNE_FROM  # looked through only as the table grows
    assert not limit.notices.busy()  # and nobody is waiting: a notice may go now
    assert limit.unanswered == 0


async def test_a_refusal_past_the_deadline_goes_unanswered() -> None:
    """Discord would refuse the notice anyway; the queue moves on to fresher ones."""
    ticks = Ticks()
    limit = RateLimit(PER_S, 1, ticks)
    first, stale, fresh = (Answerable(n, user_id=1) for n in range(3))
    assert limit.admit(first) and not limit.admit(stale)  # type: ignore[arg-type]
    first.answered.set()
    ticks.now += NOTICE_WITHIN_S + 0.1
    second = Answerable(3, user_id=1)  # the bucket refilled meanwhile: spend it...
    assert limit.admit(second)  # type: ignore[arg-type]
    second.answered.set()
    assert not limit.admit(fresh)  # type: ignore[arg-type]  # ...then be refused
    notices = asyncio.create_task(limit.notices.run())
    try:
        await fresh.answered.wait()
    finally:
        notices.cancel()
    assert fresh.told == [SLOW_DOWN] and stale.told == []


def test_judgements_nobody_asks_about_are_not_kept_for_good() -> None:
    """A click on a button nothing answers any more is judged and never asked about."""
    limit = RateLimit(PER_S, BURST, Ticks())
    for number in range(2 * JUDGED_KEPT):
        assert limit.judge(number, user_id=number)
    assert limit.judged <= JUDGED_KEPT
