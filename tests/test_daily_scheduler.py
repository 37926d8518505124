"""The delivery task against a fake clock and a fake sender: on time, exactly once, paced."""

from __future__ import annotations

import asyncio
import time as wall
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.context import Learner
from bot.core.daily import (
    IN_FLIGHT,
    MAX_NAP_S,
    PROMPTS_PER_SECOND,
    ChannelPrompt,
    ChannelUnavailable,
    DailyPrompts,
    DmClosed,
    DmPrompt,
    Notices,
    WeeklyLeaderboard,
)
from bot.core.flashcards import Grade
from bot.core.tutor import Tutor
from tests.conftest import both_engines
from tests.factories import FakeClock

pytestmark = both_engines

GUILD, CHANNEL = 10, 20
STUDENT = Learner(GUILD, 30, "ada")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Crash(BaseException):
    """The process dies (nothing below catches a BaseException)."""


@dataclass
class FakeSender:
    """Records what would reach Discord; can refuse DMs, lose channels or crash."""

    clock: FakeClock
    sent: list[tuple[str, int, object, datetime]] = field(default_factory=list)
    closed_dms: set[int] = field(default_factory=set)
    lost_channels: dict[int, str] = field(default_factory=dict)
    crash_after_send: bool = False
    crash_before_send: bool = False
    hold: asyncio.Event | None = None  # set: sends wait for it (a slow Discord)
    holding: asyncio.Event = field(default_factory=asyncio.Event)  # a send waits on hold
    in_flight: int = 0
    most_in_flight: int = 0

    async def _send(self, kind: str, target: int, what: object) -> None:
        if self.crash_before_send:
            raise Crash
        if self.hold is not None:
            self.holding.set()
            await self.hold.wait()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)  # a network round trip: let other sends start
            if target in self.closed_dms:
                raise DmClosed
            if target in self.lost_channels:
                raise ChannelUnavailable(self.lost_channels[target])
            self.sent.append((kind, target, what, self.clock.now))
        finally:
            self.in_flight -= 1
        if self.crash_after_send:
            raise Crash

    async def send_channel(self, channel_id: int, post: ChannelPrompt | WeeklyLeaderboard) -> None:
        await self._send("channel", channel_id, post)

    async def send_dm(self, user_id: int, prompt: DmPrompt) -> None:
        await self._send("dm", user_id, prompt)

    async def channel_has(self, channel_id: int, post: ChannelPrompt | WeeklyLeaderboard) -> bool:
        return ("channel", channel_id, post) in [sent[:3] for sent in self.sent]

    async def dm_has(self, user_id: int, prompt: DmPrompt) -> bool:
        """As Discord's history would: a prompt for the same day in that DM."""
        return any(
            kind == "dm"
            and target == user_id
            and (what.day, what.snoozable) == (prompt.day, prompt.snoozable)
            for kind, target, what, _ in self.sent
        )

    def of(self, kind: type) -> list:
        return [what for _, _, what, _ in self.sent if isinstance(what, kind)]


@pytest.fixture
def sender(clock) -> FakeSender:
    return FakeSender(clock)


def every_guild(guild_id: int) -> bool:
    return True


class BoundPrompts(DailyPrompts):
    """The scheduler bound to one sender for every guild, as these tests drive it."""

    def __init__(self, ctx, flashcards, sender: FakeSender, **options) -> None:
        super().__init__(ctx, flashcards, **options)
        self.sender = sender

    async def tick(self, sender=None, scope=every_guild) -> datetime | None:
        return await super().tick(sender or self.sender, scope)

    async def run(self, sender=None, scope=every_guild) -> None:
        await super().run(sender or self.sender, scope)

    async def resolve_sending(self, sender=None, scope=every_guild) -> None:
        await super().resolve_sending(sender or self.sender, scope)


def prompts(tutor: Tutor, sender: FakeSender, clock: FakeClock, **options) -> DailyPrompts:
    """A DailyPrompts whose sleep moves the fake clock (pacing costs no real time)."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    return BoundPrompts(tutor.ctx, tutor.flashcards, sender, sleep=sleep, **options)


async def run_until(daily: DailyPrompts, clock: FakeClock, end: datetime) -> None:
    """The delivery loop with time jumping from one fire to the next."""
    while True:
        wake_at = await daily.tick()
        if wake_at is None or wake_at > end:
            clock.now = max(clock.now, end)
            return
        clock.now = max(clock.now, wake_at)


async def claims(tutor: Tutor) -> list[tuple[str, str, str]]:
    rows = await tutor.ctx.db.fetchall("SELECT key, day, state FROM daily_claims ORDER BY day, key")
    return [tuple(row) for row in rows]


async def test_the_channel_gets_a_card_of_the_day_and_the_streaks_at_its_local_time(
    tutor, sender, clock
) -> None:
    await tutor.flashcards.review(STUDENT, "alpha-c0", Grade.good)  # day 1 of a streak
    daily = prompts(tutor, sender, clock)
    scheduled = await daily.set_channel(
        GUILD, CHANNEL, "09:00", "Europe/Paris", leaderboard_day="never"
    )
    assert scheduled.next_at == utc(2026, 3, 3, 8)  # made at 12:00 UTC: today's is not owed
    await run_until(daily, clock, utc(2026, 3, 3, 12))
    [(kind, channel, post, at)] = sender.sent
    assert (kind, channel, at) == ("channel", CHANNEL, utc(2026, 3, 3, 8))
    assert isinstance(post, ChannelPrompt) and post.day == date(2026, 3, 3)
    assert post.card in tutor.course.flashcards
    assert post.streaks == [(STUDENT.user_id, 1)]
    assert await claims(tutor) == [("channel:10", "2026-03-03", "sent")]


async def test_the_weekly_leaderboard_comes_on_the_teachers_day_with_last_weeks_points(
    tutor, sender, clock
) -> None:
    await tutor.flashcards.review(STUDENT, "alpha-c0", Grade.good)  # Monday 2 March
    daily = prompts(tutor, sender, clock)
    await daily.set_channel(GUILD, CHANNEL, "09:00", "UTC", leaderboard_day="tuesday")
    await run_until(daily, clock, utc(2026, 3, 5, 12))
    [board] = sender.of(WeeklyLeaderboard)
    assert board.week == "2026-W10" and [r.user_id for r in board.board.top] == [30]
    assert len(sender.of(ChannelPrompt)) == 3  # Tuesday, Wednesday, Thursday


@pytest.mark.parametrize(
    ("back_at", "posts", "state"),
    [(utc(2026, 3, 3, 10, 59), 2, "sent"), (utc(2026, 3, 3, 11, 1), 0, "skipped")],
)
async def test_after_an_outage_prompts_are_made_up_within_grace_else_skipped_and_recorded(
    tutor, sender, clock, back_at, posts, state
) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_channel(GUILD, CHANNEL, "09:00", "UTC", leaderboard_day="tuesday")
    clock.now = back_at  # the bot was down at 09:00
    await daily.tick()
    assert len(sender.sent) == posts
    assert await claims(tutor) == [
        ("channel:10", "2026-03-03", state),
        ("leaderboard:10", "2026-03-03", state),
    ]
    await run_until(daily, clock, utc(2026, 3, 4, 12))
    assert len(sender.sent) == posts + 1  # the next day is back to normal


async def test_a_dm_comes_at_the_students_own_time_and_timezone(tutor, sender, clock) -> None:
    daily = prompts(tutor, sender, clock)
    scheduled = await daily.set_dm(STUDENT, "7:30", "America/New_York")
    assert scheduled.next_at == utc(2026, 3, 2, 12, 30)  # EST
    await run_until(daily, clock, utc(2026, 3, 2, 13))
    [(kind, user, prompt, at)] = sender.sent
    assert (kind, user, at) == ("dm", STUDENT.user_id, utc(2026, 3, 2, 12, 30))
    assert prompt == DmPrompt(GUILD, date(2026, 3, 2), due=0, new=6, snoozable=True)


async def test_nothing_to_study_means_no_dm(tutor, sender, clock) -> None:
    await tutor.guilds.update(GUILD, new_cards_per_day=0)
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    await run_until(daily, clock, utc(2026, 3, 2, 14))
    assert sender.sent == []
    assert await claims(tutor) == [("dm:10:30", "2026-03-02", "empty")]


@pytest.mark.parametrize(
    ("zone", "at", "start", "expected"),
    [
        ("Europe/Paris", "02:30", utc(2026, 3, 28, 12), [(3, 29, 1), (3, 30, 0)]),
        ("Europe/Paris", "02:30", utc(2026, 10, 24, 12), [(10, 25, 0), (10, 26, 1)]),
        ("America/New_York", "02:30", utc(2026, 3, 7, 12), [(3, 8, 7), (3, 9, 6)]),
        ("America/New_York", "01:30", utc(2026, 10, 31, 12), [(11, 1, 5), (11, 2, 6)]),
    ],
)
async def test_dst_changes_keep_one_prompt_per_local_day(
    tutor, sender, clock, zone, at, start, expected
) -> None:
    clock.now = start
    daily = prompts(tutor, sender, clock)
    await daily.set_channel(GUILD, CHANNEL, at, zone, leaderboard_day="never")
    await run_until(daily, clock, start + timedelta(days=2))
    assert [sent_at for *_, sent_at in sender.sent] == [utc(2026, *h, 30) for h in expected]
    assert len({post.day for post in sender.of(ChannelPrompt)}) == 2


async def test_midnight_belongs_to_the_local_day_on_both_sides_of_utc(tutor, sender, clock) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_channel(GUILD, CHANNEL, "00:00", "Europe/Paris", leaderboard_day="never")
    await daily.set_dm(STUDENT, "23:30", "America/Los_Angeles")
    await run_until(daily, clock, utc(2026, 3, 4, 12))
    days = [(kind, what.day, at) for kind, _, what, at in sender.sent]
    assert days == [
        ("channel", date(2026, 3, 3), utc(2026, 3, 2, 23)),
        ("dm", date(2026, 3, 2), utc(2026, 3, 3, 7, 30)),
        ("channel", date(2026, 3, 4), utc(2026, 3, 3, 23)),
        ("dm", date(2026, 3, 3), utc(2026, 3, 4, 7, 30)),
    ]


async def test_a_restart_mid_day_sends_nothing_twice(tutor, sender, clock, database_target) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_channel(GUILD, CHANNEL, "13:00", "UTC", leaderboard_day="never")
    await daily.set_dm(STUDENT, "13:00", "UTC")
    await run_until(daily, clock, utc(2026, 3, 2, 14))
    assert len(sender.sent) == 2
    await tutor.close()

    clock.now = utc(2026, 3, 2, 14, 30)
    restarted = await Tutor.open(database_target, tutor.course, clock)
    try:
        again = prompts(restarted, sender, clock)
        assert await again.tick() == utc(2026, 3, 3, 13)
        assert len(sender.sent) == 2
    finally:
        await restarted.close()


@pytest.mark.parametrize("crash", ["after the send", "before the send"])
async def test_a_crash_while_a_prompt_is_claimed_neither_doubles_nor_drops_it(
    tutor, sender, clock, database_target, crash
) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    clock.now = utc(2026, 3, 2, 13)
    sender.crash_after_send = crash == "after the send"
    sender.crash_before_send = crash == "before the send"
    with pytest.raises(BaseExceptionGroup) as crashed:
        await daily.tick()
    assert crashed.group_contains(Crash)
    assert len(sender.sent) == (1 if crash == "after the send" else 0)
    assert await claims(tutor) == [("dm:10:30", "2026-03-02", "sending")]
    await tutor.close()

    sender.crash_after_send = sender.crash_before_send = False
    restarted = await Tutor.open(database_target, tutor.course, clock)
    try:
        again = prompts(restarted, sender, clock)
        await again.resolve_sending()  # what run() does first
        await again.tick()
        assert len(sender.sent) == 1  # found in the DM's history, or sent now: once
        assert await claims(restarted) == [("dm:10:30", "2026-03-02", "sent")]
    finally:
        await restarted.close()


async def test_a_shutdown_waits_for_the_sends_that_hold_a_claim(tutor, sender, clock) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    clock.now = utc(2026, 3, 2, 13)
    sender.hold = asyncio.Event()  # Discord is slow to answer
    tick = asyncio.create_task(daily.tick())
    await sender.holding.wait()  # claimed, and sending
    tick.cancel()  # SIGTERM: the delivery task is cancelled...
    await asyncio.gather(tick, return_exceptions=True)
    stopping = asyncio.create_task(daily.finish_claimed())  # ...and the send awaited
    sender.hold.set()
    await stopping
    assert len(sender.sent) == 1
    assert await claims(tutor) == [("dm:10:30", "2026-03-02", "sent")]


async def test_a_send_that_outlasts_the_shutdown_grace_is_resolved_at_the_next_start(
    tutor, sender, clock
) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    clock.now = utc(2026, 3, 2, 13)
    sender.hold = asyncio.Event()  # Discord never answers
    tick = asyncio.create_task(daily.tick())
    await sender.holding.wait()  # claimed, and sending
    tick.cancel()
    await asyncio.gather(tick, return_exceptions=True)
    await daily.finish_claimed(grace_s=0.01)
    assert await claims(tutor) == [("dm:10:30", "2026-03-02", "sending")]
    sender.hold = None
    await prompts(tutor, sender, clock).resolve_sending()
    assert len(sender.sent) == 1
    assert await claims(tutor) == [("dm:10:30", "2026-03-02", "sent")]


async def test_a_shutdown_mid_fan_out_loses_none_of_the_prompts_waiting_their_turn(
    tutor, sender, clock
) -> None:
    class_ = [Learner(GUILD, user) for user in range(100, 108)]
    for who in class_:
        await prompts(tutor, sender, clock).set_dm(who, "13:00", "UTC")
    clock.now = utc(2026, 3, 2, 13)
    time = VirtualTime(clock)  # time stops at 13:00: the second prompt waits for its turn
    tick = asyncio.create_task(
        BoundPrompts(tutor.ctx, tutor.flashcards, sender, sleep=time.sleep, in_flight=1).tick()
    )
    await time.until_idle()
    tick.cancel()
    await asyncio.gather(tick, return_exceptions=True)
    assert len(sender.sent) == 1
    assert await claims(tutor) == [("dm:10:100", "2026-03-02", "sent")]  # no stuck claims

    await prompts(tutor, sender, clock).tick()  # restarted, within the grace window
    assert sorted(user for _, user, *_ in sender.sent) == [who.user_id for who in class_]


async def test_two_ticks_at_once_deliver_each_prompt_once(tutor, sender, clock) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_channel(GUILD, CHANNEL, "13:00", "UTC", leaderboard_day="never")
    for user in range(100, 110):
        await daily.set_dm(Learner(GUILD, user), "13:00", "UTC")
    clock.now = utc(2026, 3, 2, 13)
    await asyncio.gather(daily.tick(), prompts(tutor, sender, clock).tick())
    assert len(sender.sent) == 11


async def test_a_thousand_students_on_the_same_minute_all_get_one_paced_dm(
    tutor, sender, clock
) -> None:
    daily = prompts(tutor, sender, clock)
    students = [Learner(GUILD, 1000 + i) for i in range(1000)]
    for who in students:
        await daily.set_dm(who, "13:00", "UTC")
    await daily.set_channel(GUILD, CHANNEL, "13:00", "UTC", leaderboard_day="never")
    clock.now = utc(2026, 3, 2, 13)
    started = wall.perf_counter()
    await daily.tick()
    elapsed = wall.perf_counter() - started
    assert sorted(user for kind, user, *_ in sender.sent if kind == "dm") == [
        who.user_id for who in students
    ]
    assert len(sender.sent) == 1001
    virtual = (clock.now - utc(2026, 3, 2, 13)).total_seconds()
    assert virtual == pytest.approx(1000 / PROMPTS_PER_SECOND, rel=0.01)
    times = sorted(at for *_, at in sender.sent)
    busiest = max(bisect_left(times, t + timedelta(seconds=1)) - i for i, t in enumerate(times))
    # Turns come 1/15 s apart; a send may trail its turn by a claim's write, never by more
    # than the in-flight bound: at most ~20 prompts (~40 requests) in any second.
    assert busiest <= PROMPTS_PER_SECOND + IN_FLIGHT
    assert sender.most_in_flight <= IN_FLIGHT
    await daily.tick()
    assert len(sender.sent) == 1001
    states = await tutor.ctx.db.fetchall("SELECT state, count(*) FROM daily_claims GROUP BY state")
    assert [tuple(row) for row in states] == [("sent", 1001)]
    print(f"\n1,001 prompts: {elapsed:.2f} s real, {virtual:.1f} s paced, {busiest} in 1 s at most")


async def test_closed_dms_are_recorded_paused_and_told_once(tutor, sender, clock) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    sender.closed_dms.add(STUDENT.user_id)
    await run_until(daily, clock, utc(2026, 3, 3, 14))
    assert sender.sent == []
    assert await claims(tutor) == [("dm:10:30", "2026-03-02", "failed")]  # paused: one try
    notices = await daily.notices(GUILD, STUDENT.user_id, teacher=False)
    assert notices == Notices(dm_closed=True)
    await daily.noticed(GUILD, STUDENT.user_id, notices)
    assert not await daily.notices(GUILD, STUDENT.user_id, teacher=False)

    sender.closed_dms.clear()
    await daily.set_dm(STUDENT, "15:00", "UTC")  # the student opened DMs and opted in again
    await run_until(daily, clock, utc(2026, 3, 3, 16))
    assert len(sender.sent) == 1


@pytest.mark.parametrize("reason", ["deleted", "forbidden"])
async def test_a_lost_channel_is_recorded_paused_and_told_to_teachers(
    tutor, sender, clock, reason
) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_channel(GUILD, CHANNEL, "13:00", "UTC", leaderboard_day="never")
    sender.lost_channels[CHANNEL] = reason
    await run_until(daily, clock, utc(2026, 3, 4, 14))
    assert await claims(tutor) == [("channel:10", "2026-03-02", "failed")]
    assert not await daily.notices(GUILD, STUDENT.user_id, teacher=False)
    notices = await daily.notices(GUILD, 1, teacher=True)
    assert notices.channel_failure == (CHANNEL, reason)
    await daily.noticed(GUILD, 1, notices)
    assert not await daily.notices(GUILD, 1, teacher=True)


async def test_snooze_repeats_the_dm_an_hour_later_once(tutor, sender, clock) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    await run_until(daily, clock, utc(2026, 3, 2, 13, 10))
    until = await daily.snooze(STUDENT, date(2026, 3, 2))
    assert until == utc(2026, 3, 2, 14, 10)
    assert await daily.snooze(STUDENT, date(2026, 3, 2)) is None  # once
    await run_until(daily, clock, utc(2026, 3, 2, 18))
    first, again = sender.of(DmPrompt)
    assert first.snoozable and not again.snoozable and again.day == first.day
    assert sender.sent[1][3] == until


async def test_opting_out_stops_dms_and_leaves_the_student_out_of_shout_outs(
    tutor, sender, clock
) -> None:
    await tutor.flashcards.review(STUDENT, "alpha-c0", Grade.good)
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    await daily.set_channel(GUILD, CHANNEL, "13:00", "UTC", leaderboard_day="never")
    await daily.opt_out(STUDENT)
    await run_until(daily, clock, utc(2026, 3, 2, 14))
    [post] = sender.of(ChannelPrompt)
    assert post.streaks == [] and sender.of(DmPrompt) == []


async def test_forgetting_a_learner_forgets_their_daily_settings_and_claims(
    tutor, sender, clock
) -> None:
    daily = prompts(tutor, sender, clock)
    await daily.set_dm(STUDENT, "13:00", "UTC")
    await run_until(daily, clock, utc(2026, 3, 2, 14))
    await tutor.guilds.forget(STUDENT)
    for table in ("daily_students", "daily_claims"):
        assert await tutor.ctx.db.fetchall(f"SELECT * FROM {table}") == []


class VirtualTime:
    """Sleeps that pass at once and move the fake clock, but never beyond ``horizon``: a
    sleep that would end later waits until the test moves the horizon on."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.horizon = clock.now
        self.naps: list[float] = []
        self._waiting: list[datetime] = []
        self._changed = asyncio.Condition()

    async def sleep(self, seconds: float) -> None:
        end = self.clock.now + timedelta(seconds=seconds)
        async with self._changed:
            self.naps.append(seconds)
            self._waiting.append(end)
            self._changed.notify_all()
            try:
                await self._changed.wait_for(lambda: end <= self.horizon)
            finally:
                self._waiting.remove(end)
        self.clock.now = max(self.clock.now, end)

    async def run_to(self, horizon: datetime) -> None:
        async with self._changed:
            self.horizon = horizon
            self._changed.notify_all()

    async def _until(self, ready: Callable[[], bool]) -> None:
        """Until ``ready()``, re-checked at every sleep and horizon move; the bound is only
        for a loop that never gets there."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(ready), 60)

    async def until_naps(self, count: int) -> list[float]:
        await self._until(lambda: len(self.naps) >= count)
        return self.naps

    async def until_idle(self) -> None:
        """Until something sleeps past the horizon: all that was due is done."""
        await self._until(lambda: any(end > self.horizon for end in self._waiting))


async def test_the_loop_sleeps_until_the_next_fire_and_wakes_early_on_a_change(
    tutor, sender, clock
) -> None:
    clock.now = utc(2026, 3, 2, 8, 30)
    time = VirtualTime(clock)
    daily = BoundPrompts(tutor.ctx, tutor.flashcards, sender, sleep=time.sleep)
    await daily.set_channel(GUILD, CHANNEL, "09:00", "UTC", leaderboard_day="never")
    loop = asyncio.create_task(daily.run())
    try:
        assert await time.until_naps(1) == [1800]
        await daily.set_channel(GUILD, CHANNEL, "08:45", "UTC", leaderboard_day="never")
        assert await time.until_naps(2) == [1800, 900]  # woken early, sleeps less
        await time.run_to(utc(2026, 3, 2, 8, 46))
        assert (await time.until_naps(3))[2] == MAX_NAP_S  # posted; asleep till tomorrow
        assert [at for *_, at in sender.sent] == [utc(2026, 3, 2, 8, 45)]
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    assert loop.cancelled()
