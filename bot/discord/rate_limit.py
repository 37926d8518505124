"""Per-user rate limit of the Discord frontend: one user's flood must not cost writes or
make anyone else miss Discord's 3 s deadline.

A token bucket per user admits commands and clicks (``TokenBuckets``). A refused
interaction does no work at all. The first refusal of a user in ``TELL_EVERY_S`` joins
the queue of ``SlowDownNotices``, which one task answers, one notice at a time and only
while no admitted interaction waits for its answer; the rest of a flood goes unanswered
(Discord shows the flooder "interaction failed"), as do notices that waited past
Discord's deadline. So a flood costs the bot reading it and nothing more, and its
refusals never stand in front of anyone admitted: an answer per refusal would cost a
request each, and 5,000 of them the others' 3 s (bench/RESULTS.md).

Users are judged as the gateway delivers their interaction (``judge``, from the raw
event), so the rest of a flood is dropped before discord.py builds anything for it;
the command or button then asks ``admit`` for that judgement.
The console, scripts and benches talk to the core directly and are never limited.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

import discord

log = logging.getLogger("bot.discord")

SLOW_DOWN = "Whoa, slow down a little: that was a lot at once. Try again in a moment."
TELL_EVERY_S = 1.0  # at most one notice a second per user; their other refusals: none
NOTICE_WITHIN_S = 2.5  # Discord refuses an answer after 3 s: older refusals go unanswered
NOTICES_QUEUED = 1000  # beyond this, the oldest refusal goes unanswered
JUDGED_KEPT = 4096  # judgements waiting for their command or button to ask
PRUNE_FROM = 64  # admitted interactions held before the answered ones are looked for
BUSY_POLL_S = 0.005  # how often queued notices look again whether everyone else is answered


class Admission(enum.Enum):
    go = "go"
    tell = "refused: tell them to slow down"
    ignore = "refused: they were told a moment ago"


class TokenBuckets:
    """``per_s`` tokens a second per user, at most ``burst`` saved up; one per action.

    A bucket idle long enough to be full again is the same as no bucket, so it is
    dropped: only users active in the last ``burst / per_s`` seconds are held.
    """

    def __init__(self, per_s: float, burst: int, now: Callable[[], float] = time.monotonic) -> None:
        if per_s <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self.per_s = per_s
        self.burst = burst
        self.now = now
        # user id -> (tokens, when counted, when last told to slow down); ordered by
        # when counted, the oldest first
        self._buckets: OrderedDict[int, tuple[float, float, float]] = OrderedDict()

    def take(self, user_id: int) -> Admission:
        """Spend one of the user's tokens if there is one."""
        now = self.now()
        self._forget_full(now)
        tokens, counted, told = self._buckets.pop(user_id, (float(self.burst), now, -math.inf))
        tokens = min(float(self.burst), tokens + (now - counted) * self.per_s)
        if tokens >= 1.0:
            self._buckets[user_id] = (tokens - 1.0, now, told)
            return Admission.go
        if now - told >= TELL_EVERY_S:
            self._buckets[user_id] = (tokens, now, now)
            return Admission.tell
        self._buckets[user_id] = (tokens, now, told)
        return Admission.ignore

    def _forget_full(self, now: float) -> None:
        while self._buckets:
            user_id, (tokens, counted, _) = next(iter(self._buckets.items()))
            if tokens + (now - counted) * self.per_s < self.burst:
                return
            del self._buckets[user_id]

    def __len__(self) -> int:
        return len(self._buckets)


class SlowDownNotices:
    """Refused interactions, answered with a private "slow down" by one task (``run``),
    only while every admitted interaction has had its answer (``busy`` says if not).

    Each notice is one HTTP request: answering a flood's refusals each in its own task
    would queue everyone else behind the whole flood; here they wait for everyone else.
    """

    def __init__(self, now: Callable[[], float], busy: Callable[[], bool]) -> None:
        self.now = now
        self.busy = busy
        self._queue: deque[tuple[discord.Interaction, float]] = deque(maxlen=NOTICES_QUEUED)
        self._waiting = asyncio.Event()

    def tell(self, interaction: discord.Interaction) -> None:
        self._queue.append((interaction, self.now()))
        self._waiting.set()

    async def run(self) -> None:
        while True:
            await self._waiting.wait()
            self._waiting.clear()
            while self._queue:
                # discord.py tells nobody when an interaction is answered: look again.
                while self.busy():  # noqa: ASYNC110
                    await asyncio.sleep(BUSY_POLL_S)
                interaction, refused_at = self._queue.popleft()
                if self.now() - refused_at <= NOTICE_WITHIN_S:
                    await self._answer(interaction)

    @staticmethod
    async def _answer(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message(SLOW_DOWN, ephemeral=True)
        except discord.HTTPException as exc:
            log.debug("slow-down notice not delivered: %s", exc)


class RateLimit:
    """What the frontend asks about every command and click; ``per_s == 0`` (or
    ``burst == 0``) turns the limit off."""

    def __init__(self, per_s: float, burst: int, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self.buckets = TokenBuckets(per_s, burst, now) if per_s > 0 and burst > 0 else None
        self.notices = SlowDownNotices(now, self._busy)
        # admitted, not yet answered: interaction id -> (interaction, admitted at)
        self._unanswered: dict[int, tuple[discord.Interaction, float]] = {}
        # judged at the gateway, not yet asked about: interaction id -> admission
        self._judged: OrderedDict[int, Admission] = OrderedDict()
        self._prune_at = PRUNE_FROM
        self.refused = 0  # since start

    def judge(self, interaction_id: int, user_id: int) -> bool:
        """At the gateway: False for an interaction to drop unread (the user was just
        told to slow down); otherwise the judgement waits for ``admit``."""
        if self.buckets is None:
            return True
        admission = self.buckets.take(user_id)
        if admission is Admission.ignore:
            self.refused += 1
            return False
        self._judged[interaction_id] = admission
        while len(self._judged) > JUDGED_KEPT:  # asked about by no command or button
            self._judged.popitem(last=False)
        return True

    def admit(self, interaction: discord.Interaction) -> bool:
        """True: go ahead. False: do nothing more (a notice may be on its way)."""
        if self.buckets is None:
            return True
        admission = self._judged.pop(interaction.id, None) or self.buckets.take(interaction.user.id)
        if admission is Admission.go:
            self._unanswered[interaction.id] = (interaction, self.now())
            if len(self._unanswered) >= self._prune_at:
                # Forget the answered ones once the table doubled since the last look: a
                # look per admission would cost the square of what is in flight (1,000
                # clicks in a second made that most of the bot's CPU).
                self._busy()
                self._prune_at = max(PRUNE_FROM, 2 * len(self._unanswered))
            return True
        self.refused += 1
        if admission is Admission.tell:
            log.info("rate limit: user=%s told to slow down", interaction.user.id)
            self.notices.tell(interaction)
        return False

    @property
    def judged(self) -> int:
        """Judgements held for a command or button to ask about."""
        return len(self._judged)

    @property
    def unanswered(self) -> int:
        """Admitted interactions held until answered (what this costs in memory)."""
        return len(self._unanswered)

    def _busy(self) -> bool:
        """Whether an admitted interaction still waits for its answer (one that never
        gets one stops counting after Discord's deadline)."""
        now = self.now()
        for key, (interaction, admitted_at) in list(self._unanswered.items()):
            if interaction.response.is_done() or now - admitted_at > NOTICE_WITHIN_S:
                del self._unanswered[key]
        return bool(self._unanswered)
