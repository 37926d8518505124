"""Soak and flood: the bot's memory over 100,000 interactions, and what one user's flood
does to everyone else.

Run by hand: ``.venv/bin/python -m bench.soak_bench [--interactions 100000]
[--users 20] [--check-every 10000] [--phase both|soak|flood] [--flood 5000]``.

The bot runs as ``python -m bot run`` in its own process, pointed at the local Discord
stand-in (tests/fake_discord) in this process, as in bench/class_quiz_bench.py's split
set-up; the stand-in plays Discord and the users.

- soak: ``--users`` learners, all at once, each in turn: ``/quiz``, answer, "Next
  question", answer, ``/flashcards review``, "Show answer", a rating (Again and Good in
  turn), ``/leaderboard``; each action waits for its answer. The bot's RSS (VmRSS) is read
  every 10,000 interactions. Target: within +/-5 MB of the 10,000 mark from there on.
  The rate limit is set far above what the learners reach (1,000 a second each), so
  its own bookkeeping is part of what is measured without refusing anyone.
- flood: 19 learners at a person's pace (one action every ``PACE_S``) while one more
  sends ``--flood`` ``/quiz`` commands as fast as the stand-in can, once with the
  default rate limit (5 a second, burst 10) and once with it off (0). Reported: the
  other learners' acknowledgement latency during the flood (p50, p99, max) and how many
  missed Discord's 3 s; what the flooder got (questions, "slow down", nothing).

Latency = the stand-in applying the bot's first answer (World.acknowledge, wrapped)
minus the interaction's creation, just before the gateway sends it; wall clock. The
stand-in's own 3 s check counts this process's CPU time, so it is turned off here and
the 3 s are counted on the wall clock instead.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from discord import InteractionResponseType

from bench.class_quiz_bench import BOT_START_S, CONTENT, ROOT, percentile, until_bot_answers
from bot.discord.rate_limit import SLOW_DOWN
from tests.discord_helpers import button_ids, custom_id_of, labels
from tests.fake_discord import (
    Callback,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeUser,
    Upload,
)
from tests.fake_discord.state import World

CHECK_EVERY = 10_000
TARGET_MB = 5.0
DEADLINE_S = 3.0
PACE_S = 0.5  # a person clicking every half second: well within 5 a second
FLOOD_SETTLE_S = 4.0  # after the flood is sent: its backlog drains or is dropped
SOAK_LIMIT = ("1000", "1000")  # TUTOR_RATE_PER_S, TUTOR_RATE_BURST: on, never reached
DEFAULT_LIMIT = ("5", "10")
NO_LIMIT = ("0", "0")


class Arrivals:
    """When the stand-in applies each interaction's first answer (a wrapped
    ``World.acknowledge`` on this one instance), and what it was."""

    def __init__(self, world: World) -> None:
        self.latency_s: dict[int, float] = {}
        self.callbacks: dict[int, Callback] = {}
        self._acknowledge = world.acknowledge
        world.acknowledge = self._record  # type: ignore[method-assign]

    def _record(
        self, ix: FakeInteraction, kind: int, data: Mapping[str, Any], uploads: Sequence[Upload]
    ) -> Callback:
        self.latency_s.setdefault(ix.id, time.monotonic() - ix.created_at)
        callback = self._acknowledge(ix, kind, data, uploads)
        self.callbacks[ix.id] = callback
        return callback

    def forget(self) -> None:
        self.latency_s.clear()
        self.callbacks.clear()


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def forget_the_past(world: World) -> None:
    """The stand-in keeps every interaction, message and REST call; between rounds no
    learner holds one, so they are dropped to keep this process small (the bot's memory,
    in the other process, is what is measured)."""
    world.interactions.clear()
    world.messages.clear()
    world.calls.clear()


class Learner:
    """One fake user going through the cycle; ``pace`` is the pause before each action."""

    def __init__(self, fake: FakeDiscord, member: FakeMember, pace: float = 0.0) -> None:
        self.fake = fake
        self.member = member
        self.pace = pace
        self.actions = 0
        self.sent: list[FakeInteraction] = []

    async def _act(self, send: Callable[[], Awaitable[FakeInteraction]]) -> FakeInteraction:
        if self.pace:
            await asyncio.sleep(self.pace)
        ix = await send()
        self.sent.append(ix)
        self.actions += 1
        await ix.response()
        return ix

    async def _click(self, ix: FakeInteraction, prefix: str) -> FakeInteraction | None:
        message = ix.original_message if ix.source is None else ix.source
        ids = [] if message is None else button_ids(message, prefix)
        if message is None or not ids:
            return None
        return await self._act(lambda: self.fake.click(message, ids[0], user=self.member))

    async def cycle(self, turn: int) -> None:
        user = self.member
        asked = await self._act(lambda: self.fake.slash("quiz", user=user))
        answered = await self._click(asked, "t:quiz-answer")
        if answered is not None and (following := await self._click(answered, "t:quiz-next")):
            await self._click(following, "t:quiz-answer")
        review = await self._act(lambda: self.fake.slash("flashcards review", user=user))
        card = await review.original(lambda m: not m.loading)
        if "Show answer" in labels(card):
            show = custom_id_of(card, "Show answer")
            await self._act(lambda: self.fake.click(card, show, user=user))
            rate = custom_id_of(card, "Again" if turn % 2 else "Good")
            await self._act(lambda: self.fake.click(card, rate, user=user))
        await self._act(lambda: self.fake.slash("leaderboard", user=user))


def classroom(users: int) -> tuple[FakeGuild, list[FakeMember]]:
    guild = FakeGuild()
    return guild, [guild.add_member(FakeUser(f"learner{i:02}")) for i in range(users)]


async def with_bot(
    fake: FakeDiscord, tmp: Path, limit: tuple[str, str], work: Callable[[int], Awaitable[Any]]
) -> Any:
    """Run ``work(bot_pid)`` against ``python -m bot run`` on a fresh database."""
    env = {
        **os.environ,
        **fake.env,
        "DISCORD_TOKEN": fake.token,
        "TUTOR_CONFIG": str(tmp / "no-config.yaml"),
        "TUTOR_DB": str(tmp / "bench.sqlite3"),
        "TUTOR_CONTENT": str(CONTENT),
        "TUTOR_SANDBOX_URL": "http://127.0.0.1:9",  # nothing there; /run is unused
        "TUTOR_LOG_LEVEL": "WARNING",  # a line per interaction is not what is measured
        "TUTOR_RATE_PER_S": limit[0],
        "TUTOR_RATE_BURST": limit[1],
    }
    log_path = tmp / "bot.log"
    with open(log_path, "wb") as log:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            await asyncio.wait_for(until_bot_answers(fake, bot), BOT_START_S)
            return await work(bot.pid)
        except BaseException:
            tail = log_path.read_text(errors="replace").splitlines()[-20:]
            print("python -m bot run said:", *tail, sep="\n  ", file=sys.stderr)
            raise
        finally:
            if bot.returncode is None:
                bot.terminate()
            await asyncio.wait_for(bot.wait(), 30)


@dataclass
class Soak:
    every: int
    interactions: int = 0
    checkpoints: list[tuple[int, float]] = field(default_factory=list)  # (interactions, MB)
    latency_s: list[float] = field(default_factory=list)
    seconds: float = 0.0


async def soak(interactions: int, users: int, every: int) -> Soak:
    guild, members = classroom(users)
    result = Soak(every)
    with tempfile.TemporaryDirectory(prefix="soak-bench-") as tmp:
        async with FakeDiscord(guild=guild, ack_deadline=math.inf, wait_timeout=120) as fake:
            arrivals = Arrivals(fake.world)
            learners = [Learner(fake, m) for m in members]

            async def drive(pid: int) -> None:
                result.checkpoints.append((0, rss_mb(pid)))
                started, turn, next_check = time.monotonic(), 0, every
                while (done := sum(lr.actions for lr in learners)) < interactions:
                    await asyncio.gather(*(lr.cycle(turn) for lr in learners))
                    turn += 1
                    result.latency_s += arrivals.latency_s.values()
                    arrivals.forget()
                    forget_the_past(fake.world)
                    done = sum(lr.actions for lr in learners)
                    for lr in learners:
                        lr.sent.clear()
                    if done >= next_check:
                        result.checkpoints.append((done, rss_mb(pid)))
                        print(
                            f"  {done:>7} interactions: bot RSS {result.checkpoints[-1][1]:.1f} MB"
                            f" ({time.monotonic() - started:.0f} s)",
                            flush=True,
                        )
                        next_check += every
                result.seconds = time.monotonic() - started
                result.interactions = done

            await with_bot(fake, Path(tmp), SOAK_LIMIT, drive)
    return result


@dataclass
class Flood:
    limit: tuple[str, str]
    others_latency_s: list[float] = field(default_factory=list)
    others_missed: int = 0  # later than 3 s, or never answered
    others_sent: int = 0
    flood_sent: int = 0
    flood_questions: int = 0
    flood_told: int = 0
    flood_unanswered: int = 0
    flood_send_s: float = 0.0


async def flood(users: int, commands: int, limit: tuple[str, str]) -> Flood:
    guild, members = classroom(users)
    flooder, others = members[0], members[1:]
    result = Flood(limit)
    with tempfile.TemporaryDirectory(prefix="flood-bench-") as tmp:
        async with FakeDiscord(guild=guild, ack_deadline=math.inf, wait_timeout=120) as fake:

            async def drive(pid: int) -> None:
                arrivals = Arrivals(fake.world)
                learners = [Learner(fake, m, pace=PACE_S) for m in others]
                stop = asyncio.Event()

                async def keep_learning(learner: Learner) -> None:
                    turn = 0
                    while not stop.is_set():
                        await learner.cycle(turn)
                        turn += 1

                running = [asyncio.create_task(keep_learning(lr)) for lr in learners]
                await asyncio.sleep(2 * PACE_S)  # everyone under way
                sent_from = time.monotonic()
                flood_ixs = [await fake.slash("quiz", user=flooder) for _ in range(commands)]
                result.flood_send_s = time.monotonic() - sent_from
                await asyncio.sleep(FLOOD_SETTLE_S)
                stop.set()
                await asyncio.gather(*running)
                result.flood_sent = len(flood_ixs)
                for ix in flood_ixs:
                    callback = arrivals.callbacks.get(ix.id)
                    if callback is None:
                        result.flood_unanswered += 1
                    elif callback.message is not None and callback.message.content == SLOW_DOWN:
                        result.flood_told += 1
                    elif callback.type is InteractionResponseType.channel_message:
                        result.flood_questions += 1
                window_end = sent_from + result.flood_send_s + FLOOD_SETTLE_S
                for learner in learners:
                    during = [ix for ix in learner.sent if sent_from <= ix.created_at <= window_end]
                    result.others_sent += len(during)
                    for ix in during:
                        latency = arrivals.latency_s.get(ix.id)
                        if latency is None or latency > DEADLINE_S:
                            result.others_missed += 1
                        if latency is not None:
                            result.others_latency_s.append(latency)

            await with_bot(fake, Path(tmp), limit, drive)
    return result


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.1f} ms"


def describe_soak(result: Soak) -> str:
    lines = [f"soak: {result.interactions} interactions in {result.seconds:.0f} s"]
    lines += [f"  {n:>7}: {mb:.1f} MB" for n, mb in result.checkpoints]
    after = [mb for n, mb in result.checkpoints if n >= result.every]
    if after:
        spread = max(abs(mb - after[0]) for mb in after)
        verdict = "PASS" if spread <= TARGET_MB else "MISS"
        lines.append(
            f"  after {result.every}: {after[0]:.1f} -> {after[-1]:.1f} MB, furthest"
            f" {spread:.1f} MB from the {result.every} mark"
            f" (target +/-{TARGET_MB:.0f}) -> {verdict}"
        )
    lines.append(
        f"  ack p50 {ms(result.latency_s, 50)}, p99 {ms(result.latency_s, 99)},"
        f" max {max(result.latency_s, default=math.nan) * 1000:.1f} ms"
    )
    return "\n".join(lines)


def describe_flood(result: Flood) -> str:
    per_s, burst = result.limit
    limit = "off" if per_s == "0" else f"{per_s}/s burst {burst}"
    others = result.others_latency_s
    return (
        f"flood with the rate limit {limit}: {result.flood_sent} /quiz sent in"
        f" {result.flood_send_s:.1f} s -> {result.flood_questions} questions,"
        f" {result.flood_told} told to slow down, {result.flood_unanswered} unanswered\n"
        f"  the other {len(others)} answers during it: p50 {ms(others, 50)}, p99 {ms(others, 99)},"
        f" max {max(others, default=math.nan) * 1000:.1f} ms;"
        f" {result.others_missed} of {result.others_sent} missed 3 s"
    )


async def main_async(args: argparse.Namespace) -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    if args.phase in ("both", "soak"):
        result = await soak(args.interactions, args.users, args.check_every)
        print(describe_soak(result), flush=True)
    if args.phase in ("both", "flood"):
        for limit in (DEFAULT_LIMIT, NO_LIMIT):
            print(describe_flood(await flood(args.users, args.flood, limit)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--interactions", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--check-every", type=int, default=CHECK_EVERY)
    parser.add_argument("--flood", type=int, default=5000)
    parser.add_argument("--phase", choices=["both", "soak", "flood"], default="both")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
