"""The per-user rate limit: a flood costs no write and delays nobody else."""

from __future__ import annotations

import pytest
from discord import InteractionResponseType

from bot.discord.rate_limit import SLOW_DOWN, RateLimit, TokenBuckets
from tests.conftest import CONTENT
from tests.discord_helpers import button_ids, connected_bot
from tests.fake_discord import FakeDiscord
from tests.fake_discord.fixtures import fake_discord

__all__ = ["fake_discord"]

PER_S, BURST = 5.0, 10
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
    assert [buckets.take(1) for _ in range(BURST + 1)] == [True] * BURST + [False]
    assert buckets.take(2), "another user has a bucket of their own"
    ticks.now += 1 / PER_S
    assert buckets.take(1) and not buckets.take(1)


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
    assert buckets.take(0), "a forgotten user starts with a full bucket"


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
    fake_discord, limited_bot
) -> None:
    """The flood arrives at once; the flooder's burst is graded, the rest is told to
    slow down without touching the database, and the other user's command, sent after the
    whole flood, is answered before any of those notices (the order Discord saw them)."""
    bot, ticks = limited_bot
    flooder, other = fake_discord.guild.student, fake_discord.guild.teacher
    questions = []
    for _ in range(FLOOD):  # one a second: within the limit
        ticks.now += 1
        ix = await fake_discord.slash("quiz", user=flooder)
        questions.append((await ix.response()).message)
    ticks.now += BURST / PER_S  # a full bucket

    flood = await fake_discord.click_all(
        [(m, button_ids(m, "t:quiz-answer")[0]) for m in questions], user=flooder
    )
    asked = await fake_discord.slash("leaderboard", user=other)
    answers = [await ix.response() for ix in flood]
    assert (await asked.response()).message.embeds[0]["title"].startswith("Leaderboard")

    graded = [a for a in answers if a.type is InteractionResponseType.message_update]
    told = [a for a in answers if a.message is not None and a.message.content == SLOW_DOWN]
    assert (len(graded), len(told)) == (BURST, len(flood) - BURST)
    assert all(a.ephemeral for a in told)
    rows = await bot.tutor.ctx.db.fetchall("SELECT count(*) FROM quiz_answers")
    assert rows == [(BURST,)], "only what was admitted wrote anything"

    callbacks = [c.path.split("/")[2] for c in fake_discord.calls_to("POST", "/interactions/*")]
    others_turn = callbacks.index(str(asked.id))
    notices = [
        callbacks.index(str(ix.id)) for ix, a in zip(flood, answers, strict=True) if a in told
    ]
    assert others_turn < min(notices), "the other user waited behind the flood's notices"


class Answerable:
    """Just enough of a discord.Interaction for the rate limit."""

    def __init__(self, number: int, user_id: int) -> None:
        self.id = number
        self.user = type("User", (), {"id": user_id})()
        self.answered = False
        self.response = self

    def is_done(self) -> bool:
        return self.answered


def test_admitted_interactions_are_held_only_until_answered() -> None:
    limit = RateLimit(PER_S, BURST, Ticks())
    for number in range(1000):
        interaction = Answerable(number, user_id=number)
        assert limit.admit(interaction)  # type: ignore[arg-type]
        interaction.answered = True
    assert limit.unanswered <= 1
