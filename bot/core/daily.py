"""Daily prompts: the schedules people set, and the one background task that delivers them.

Exactly once per schedule per local day. Right before sending, a delivery inserts a claim
row keyed by (schedule, local day) in state ``sending`` and commits it, then sends, then
marks it ``sent`` (or ``failed``). Only whoever inserts the claim may send, so two ticks
or two processes never both send, and a prompt with a claim is never sent again. A
shutdown waits (``finish_claimed``, bounded) for the sends that hold a claim. A crash
between the claim and the ``sent`` mark leaves a ``sending`` claim; the next start asks
the frontend whether the channel's or DM's recent messages already hold that prompt, and
marks it sent or sends it then, so a kill -9 neither doubles nor drops a prompt. A
shutdown before the claim leaves nothing behind, and the prompt is made up after the
restart like any missed one.

Nothing here imports discord: messages go out through an injected ``Sender``, time
comes from the core's injected clock and ``sleep``, so tests run days in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from bot.core.clock import Sleep
from bot.core.context import CoreContext, Learner
from bot.core.daily_rules import (
    GRACE,
    SNOOZE,
    Daily,
    Fire,
    Once,
    Schedule,
    card_of_the_day,
    leaderboard_moment,
    parse_local_time,
    parse_weekday,
    plan,
    streak_horizon,
    top_streaks,
)
from bot.core.flashcards import Flashcards
from bot.core.guilds import check_timezone
from bot.core.scoring import Leaderboard, guild_timezone, leaderboard, local_day, week_key
from bot.curriculum.models import Flashcard
from bot.storage import daily as store
from bot.storage.connection import Connection
from bot.storage.daily import ChannelRow, StudentRow

log = logging.getLogger(__name__)

# A first DM costs two requests (open the DM channel, post): 15 prompts/s stays near
# 30 req/s, well under Discord's 50 req/s, leaving room for everyone's interactions.
PROMPTS_PER_SECOND = 15.0
IN_FLIGHT = 5
MAX_NAP_S = 3600.0  # re-read the wall clock at least hourly (suspend, clock changes)
RETRY_AFTER_ERROR_S = 60.0
STREAKS_SHOWN = 5
CLAIMS_LOOKBACK = timedelta(days=9)  # covers a weekly schedule's last fire in any timezone
SHUTDOWN_GRACE_S = 8.0  # how long a shutdown waits for sends that hold a claim


class DmClosed(Exception):
    """The student does not accept DMs from the bot (Discord's 403, code 50007)."""


class ChannelUnavailable(Exception):
    """The prompt channel is gone (``deleted``) or the bot may not post there (``forbidden``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChannelPrompt:
    guild_id: int
    day: date
    card: Flashcard | None
    streaks: list[tuple[int, int]]  # (user id, days), longest first


@dataclass(frozen=True)
class WeeklyLeaderboard:
    guild_id: int
    week: str
    board: Leaderboard


@dataclass(frozen=True)
class DmPrompt:
    guild_id: int
    day: date
    due: int
    new: int
    snoozable: bool


ChannelPost = ChannelPrompt | WeeklyLeaderboard
Post = ChannelPost | DmPrompt


class Sender(Protocol):
    async def send_channel(self, channel_id: int, post: ChannelPost) -> None:
        """Raise ChannelUnavailable when the channel is gone or closed to the bot."""

    async def send_dm(self, user_id: int, prompt: DmPrompt) -> None:
        """Raise DmClosed when the user does not accept the bot's DMs."""

    async def channel_has(self, channel_id: int, post: ChannelPost) -> bool:
        """Whether the channel's recent messages already hold this post (after a crash)."""

    async def dm_has(self, user_id: int, prompt: DmPrompt) -> bool:
        """Whether the DM's recent messages already hold this prompt (after a crash)."""


@dataclass(frozen=True)
class Target:
    """What a schedule key delivers: ``channel``/``leaderboard`` posts, ``dm``/``snooze`` DMs."""

    kind: str
    guild_id: int
    user_id: int | None = None
    channel_id: int | None = None

    @property
    def key(self) -> str:
        owner = self.guild_id if self.user_id is None else f"{self.guild_id}:{self.user_id}"
        return f"{self.kind}:{owner}"


@dataclass(frozen=True)
class Scheduled:
    """A saved schedule, as the settings commands confirm it."""

    at: time
    timezone: str
    next_at: datetime | None
    leaderboard_weekday: int | None = None


@dataclass(frozen=True)
class Notices:
    """Failed prompts someone has not been told about yet."""

    dm_closed: bool = False
    channel_failure: tuple[int, str] | None = None  # (channel id, reason)

    def __bool__(self) -> bool:
        return self.dm_closed or self.channel_failure is not None


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _next_at(schedule: Schedule, now: datetime) -> datetime | None:
    fire = schedule.next(now)
    return fire.at if fire else None


def _schedules(
    channels: list[ChannelRow], students: list[StudentRow]
) -> Iterator[tuple[Schedule, Target]]:
    for row in channels:
        post = Target("channel", row.guild_id, channel_id=row.channel_id)
        at, since = time.fromisoformat(row.local_time), _utc(row.since)
        yield Daily(post.key, at, row.timezone, since), post
        if row.leaderboard_weekday is not None:
            board = Target("leaderboard", row.guild_id, channel_id=row.channel_id)
            yield Daily(board.key, at, row.timezone, since, row.leaderboard_weekday), board
    for student in students:
        assert student.local_time is not None and student.timezone is not None
        dm = Target("dm", student.guild_id, student.user_id)
        dm_at = time.fromisoformat(student.local_time)
        yield Daily(dm.key, dm_at, student.timezone, _utc(student.since)), dm
        if student.snooze_day is not None and student.snooze_until is not None:
            again = Target("snooze", student.guild_id, student.user_id)
            fire = Fire(
                again.key, date.fromisoformat(student.snooze_day), _utc(student.snooze_until)
            )
            yield Once(fire), again


async def _claim(
    conn: Connection,
    fire: Fire,
    target: Target,
    state: str,
    now: datetime,
    detail: str = "",
) -> bool:
    return await store.claim(
        conn,
        fire.key,
        fire.day,
        target.guild_id,
        target.user_id,
        state,
        _ts(fire.at),
        _ts(now),
        detail,
    )


GuildScope = Callable[[int], bool]  # which guilds' prompts a frontend delivers


class DailyPrompts:
    """Settings in, paced prompts out. ``run()`` is a frontend's single delivery task."""

    def __init__(
        self,
        ctx: CoreContext,
        flashcards: Flashcards,
        *,
        sleep: Sleep = asyncio.sleep,
        grace: timedelta = GRACE,
        per_second: float = PROMPTS_PER_SECOND,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self.sleep = sleep  # public so tests can drive time
        self._ctx = ctx
        self._flashcards = flashcards
        self._grace = grace
        self._interval = 1.0 / per_second
        self._in_flight = in_flight
        self._changed = asyncio.Event()
        self._pacing = asyncio.Lock()
        self._last_send = datetime.min.replace(tzinfo=UTC)
        self._claimed: set[asyncio.Task[None]] = set()  # sends a shutdown waits for

    # -- settings ------------------------------------------------------------------------

    async def set_channel(
        self,
        guild_id: int,
        channel_id: int,
        local_time: str,
        timezone: str | None = None,
        leaderboard_day: str = "monday",
    ) -> Scheduled:
        """Post daily in ``channel_id``; the timezone defaults to the server's."""
        at, weekday = parse_local_time(local_time), parse_weekday(leaderboard_day)
        now = self._ctx.now()
        async with self._ctx.db.transaction() as conn:
            zone = check_timezone(
                timezone or await guild_timezone(conn, guild_id, self._ctx.default_timezone)
            )
            current = await store.channel(conn, guild_id)
            since = current.since if current and current.failure is None else _ts(now)
            row = ChannelRow(guild_id, channel_id, at.isoformat("minutes"), zone, weekday, since)
            await store.put_channel(conn, row)
        self._changed.set()
        return Scheduled(at, zone, _next_at(Daily("new", at, zone, now), now), weekday)

    async def channel_off(self, guild_id: int) -> bool:
        async with self._ctx.db.transaction() as conn:
            removed = await store.delete_channel(conn, guild_id)
        self._changed.set()
        return removed

    async def set_dm(self, who: Learner, local_time: str, timezone: str | None = None) -> Scheduled:
        """A private prompt at the student's own time (default: the server's timezone)."""
        at = parse_local_time(local_time)
        async with self._ctx.activity(who) as act:
            zone = check_timezone(timezone or act.timezone)
            current = await store.student(act.conn, who.guild_id, who.user_id)
            active = current is not None and current.dm and not current.dm_closed
            since = current.since if current is not None and active else _ts(act.now)
            row = StudentRow(who.guild_id, who.user_id, True, at.isoformat("minutes"), zone, since)
            await store.put_student(act.conn, row)
        self._changed.set()
        return Scheduled(at, zone, _next_at(Daily("new", at, zone, act.now), act.now))

    async def opt_out(self, who: Learner) -> None:
        """No DM, and left out of the channel's streak shout-outs."""
        async with self._ctx.activity(who) as act:
            row = StudentRow(who.guild_id, who.user_id, False, None, None, _ts(act.now))
            await store.put_student(act.conn, row)
        self._changed.set()

    async def snooze(self, who: Learner, day: date) -> datetime | None:
        """Repeat ``day``'s DM an hour from now, once; None if that is not possible."""
        until = self._ctx.now() + SNOOZE
        async with self._ctx.db.transaction() as conn:
            done = await store.snooze(conn, who.guild_id, who.user_id, day.isoformat(), _ts(until))
        self._changed.set()
        return until if done else None

    # -- telling people what failed --------------------------------------------------------

    async def notices(self, guild_id: int, user_id: int, teacher: bool) -> Notices:
        async with self._ctx.db.transaction() as conn:
            closed = await store.untold_dm_closed(conn, guild_id, user_id)
            failure = await store.untold_channel_failure(conn, guild_id) if teacher else None
        return Notices(closed, failure)

    async def noticed(self, guild_id: int, user_id: int, notices: Notices) -> None:
        async with self._ctx.db.transaction() as conn:
            if notices.dm_closed:
                await store.dm_closed_told(conn, guild_id, user_id)
            if notices.channel_failure is not None:
                await store.channel_failure_told(conn, guild_id)

    # -- delivery ----------------------------------------------------------------------

    async def run(self, sender: Sender, scope: GuildScope) -> None:
        """Deliver what is due in the guilds of ``scope`` through ``sender``, then sleep
        until the next fire or a settings change. The Discord bot and the console each
        deliver their own guilds (the console owns guild 0), never the other's."""
        try:
            await self.resolve_sending(sender, scope)
        except Exception:
            log.exception("daily prompts: resolving claims a crash left failed; next start")
        while True:
            self._changed.clear()
            try:
                wake_at = await self.tick(sender, scope)
            except Exception:
                log.exception("daily prompts: tick failed; retrying")
                await self._nap(RETRY_AFTER_ERROR_S)
                continue
            await self._nap(self._seconds_until(wake_at))

    def _seconds_until(self, wake_at: datetime | None) -> float:
        if wake_at is None:
            return MAX_NAP_S
        return min(MAX_NAP_S, max(0.0, (wake_at - self._ctx.now()).total_seconds()))

    async def _nap(self, seconds: float) -> None:
        """Sleep, but wake as soon as a setting changes."""
        sleeping = asyncio.ensure_future(self.sleep(seconds))
        changed = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait({sleeping, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (sleeping, changed):
                waiter.cancel()
            await asyncio.gather(sleeping, changed, return_exceptions=True)

    async def tick(self, sender: Sender, scope: GuildScope) -> datetime | None:
        """Send or skip everything due now in ``scope``; return when the next fire is."""
        now = self._ctx.now()
        async with self._ctx.db.transaction() as conn:
            channels = [row for row in await store.active_channels(conn) if scope(row.guild_id)]
            students = [row for row in await store.active_students(conn) if scope(row.guild_id)]
            recorded = await store.claimed(conn, now.date() - CLAIMS_LOOKBACK)
            targets = {
                schedule.key: (schedule, target)
                for schedule, target in _schedules(channels, students)
            }
            todo = plan((schedule for schedule, _ in targets.values()), recorded, now, self._grace)
            for fire in todo.skip:
                await _claim(conn, fire, targets[fire.key][1], "skipped", now, "missed: too late")
        if todo.skip:
            log.warning("daily prompts: skipped %d missed by over %s", len(todo.skip), self._grace)
        await self._deliver_all(sender, [(fire, targets[fire.key][1]) for fire in todo.send])
        return todo.wake_at

    async def _deliver_all(self, sender: Sender, due: list[tuple[Fire, Target]]) -> None:
        """At most ``in_flight`` deliveries at once; ``_pace`` spaces the sends themselves."""
        slots = asyncio.Semaphore(self._in_flight)
        async with asyncio.TaskGroup() as group:
            for fire, target in due:
                await slots.acquire()
                group.create_task(
                    self._deliver(sender, fire, target, slots), name=f"daily:{fire.key}"
                )

    async def _pace(self) -> None:
        """Sends at least ``1/per_second`` s apart, so a thousand prompts on the same minute
        stay well under Discord's 50 requests/s (shared with every interactive reply)."""
        async with self._pacing:
            since_last = (self._ctx.now() - self._last_send).total_seconds()
            if since_last < self._interval:
                await self.sleep(self._interval - max(since_last, 0.0))
            self._last_send = self._ctx.now()

    async def _deliver(
        self, sender: Sender, fire: Fire, target: Target, slots: asyncio.Semaphore
    ) -> None:
        try:
            await self._deliver_once(sender, fire, target)
        except Exception:  # e.g. the learner was forgotten meanwhile: the others go on
            log.exception("daily prompts: delivering %s for %s failed", fire.key, fire.day)
        finally:
            slots.release()

    async def _deliver_once(self, sender: Sender, fire: Fire, target: Target) -> None:
        """Build, wait for a turn, claim, send, mark. The claim comes last before the send so
        a shutdown while waiting leaves no claim (the prompt is made up after a restart)."""
        post = await self._prepare(fire, target)
        if post is None:
            async with self._ctx.db.transaction() as conn:
                await _claim(conn, fire, target, "empty", self._ctx.now(), "nothing to study")
            return
        await self._pace()
        async with self._ctx.db.transaction() as conn:
            if not await _claim(conn, fire, target, "sending", self._ctx.now()):
                return  # another tick or process owns this delivery
        # From here the send is owed: a shutdown waits for it rather than cancel it
        # half-way and leave its claim unresolved.
        sending = asyncio.ensure_future(self._send_and_mark(sender, fire, target, post))
        self._claimed.add(sending)
        sending.add_done_callback(self._claimed.discard)
        await asyncio.shield(sending)

    async def _send_and_mark(self, sender: Sender, fire: Fire, target: Target, post: Post) -> None:
        try:
            await _send(sender, target, post)
        except (DmClosed, ChannelUnavailable) as exc:
            await self._finish(fire, target, "failed", exc)
        except Exception as exc:
            log.exception("daily prompts: %s for %s failed", fire.key, fire.day)
            await self._finish(fire, target, "failed", exc)
        else:
            await self._finish(fire, target, "sent")
            log.info("daily prompts: %s for %s sent", fire.key, fire.day)

    async def finish_claimed(self, grace_s: float = SHUTDOWN_GRACE_S) -> None:
        """At shutdown, after ``run`` was cancelled: let the sends that hold a claim end
        (at most ``grace_s``); any still running then is cancelled, and its ``sending``
        claim is resolved at the next start."""
        if not self._claimed:
            return
        _, late = await asyncio.wait(set(self._claimed), timeout=grace_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        if late:
            log.warning("daily prompts: %d send(s) cut short by the shutdown", len(late))

    async def resolve_sending(self, sender: Sender, scope: GuildScope) -> None:
        """Claims a crash left ``sending``: already posted (the frontend finds it in the
        recent messages) is marked sent; otherwise it is sent now."""
        since = self._ctx.now().date() - CLAIMS_LOOKBACK
        async with self._ctx.db.transaction() as conn:
            stuck = [c for c in await store.sending(conn, since) if scope(c.guild_id)]
            channels = await store.active_channels(conn)
            students = await store.active_students(conn)
        targets = {schedule.key: target for schedule, target in _schedules(channels, students)}
        for claim in stuck:
            fire = Fire(claim.key, claim.day, _utc(claim.fire_at))
            target = targets.get(claim.key)
            if target is None:
                await self._finish(fire, Target("gone", claim.guild_id), "failed",
                                   RuntimeError("its schedule was removed"))  # fmt: skip
                continue
            post = await self._prepare(fire, target)
            if post is None:
                await self._finish(fire, target, "empty")
            elif await _already_there(sender, target, post):
                log.info("daily prompts: %s for %s was sent before a crash", fire.key, fire.day)
                await self._finish(fire, target, "sent")
            else:
                await self._send_and_mark(sender, fire, target, post)

    async def _finish(
        self, fire: Fire, target: Target, state: str, problem: Exception | None = None
    ) -> None:
        """Mark the claim; a closed DM or a lost channel also pauses that schedule."""
        detail = f"{type(problem).__name__}: {problem}" if problem else ""
        async with self._ctx.db.transaction() as conn:
            await store.finish(conn, fire.key, fire.day, state, detail, _ts(self._ctx.now()))
            if isinstance(problem, DmClosed) and target.user_id is not None:
                await store.dm_closed(conn, target.guild_id, target.user_id)
            elif isinstance(problem, ChannelUnavailable):
                await store.channel_failed(conn, target.guild_id, problem.reason)

    async def _prepare(self, fire: Fire, target: Target) -> Post | None:
        """The post of this prompt, ready to go; None when there is nothing worth sending."""
        if target.channel_id is not None:  # a channel post or the weekly leaderboard
            build = self._channel_prompt if target.kind == "channel" else self._weekly_board
            return await build(fire, target.guild_id)
        assert target.user_id is not None
        stats = await self._flashcards.stats(Learner(target.guild_id, target.user_id))
        if stats.due_now + stats.new_left_today == 0:
            return None  # no prompt beats a prompt to do nothing
        return DmPrompt(
            target.guild_id, fire.day, stats.due_now, stats.new_left_today, target.kind == "dm"
        )

    async def _channel_prompt(self, fire: Fire, guild_id: int) -> ChannelPrompt:
        card = card_of_the_day(self._ctx.course_for(guild_id).flashcards, guild_id, fire.day)
        async with self._ctx.db.transaction() as conn:
            candidates = await store.streak_candidates(
                conn, guild_id, streak_horizon(fire.day), 5 * STREAKS_SHOWN
            )
        return ChannelPrompt(
            guild_id, fire.day, card, top_streaks(candidates, fire.day, STREAKS_SHOWN)
        )

    async def _weekly_board(self, fire: Fire, guild_id: int) -> WeeklyLeaderboard:
        moment = leaderboard_moment(fire)
        async with self._ctx.db.transaction() as conn:
            zone = await guild_timezone(conn, guild_id, self._ctx.default_timezone)
            board = await leaderboard(conn, guild_id, 0, "week", moment, zone)
        return WeeklyLeaderboard(guild_id, week_key(local_day(moment, zone)), board)


async def _send(sender: Sender, target: Target, post: Post) -> None:
    if isinstance(post, DmPrompt):
        assert target.user_id is not None
        await sender.send_dm(target.user_id, post)
    else:
        assert target.channel_id is not None
        await sender.send_channel(target.channel_id, post)


async def _already_there(sender: Sender, target: Target, post: Post) -> bool:
    if isinstance(post, DmPrompt):
        assert target.user_id is not None
        return await sender.dm_has(target.user_id, post)
    assert target.channel_id is not None
    return await sender.channel_has(target.channel_id, post)
