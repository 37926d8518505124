"""Class quiz under load: 1,000 students answer one question within one second.

Run by hand: ``.venv/bin/python -m bench.class_quiz_bench [--runs 3] [--students 1000]
[--mode both|shared|split] [--profile FILE]``.

The local Discord stand-in (tests/fake_discord) plays Discord and the students; the real
TutorBot answers. The teacher starts a one-question, 30 s class quiz; click ``i`` is sent
at ``start + i/N`` s. A click's latency is the time from the stand-in creating the
interaction (just before the gateway sends it) to the bot's callback reaching the
stand-in. Then the teacher stops the quiz (which closes the question and saves
everything) and every student's answer is checked: acknowledged with "Locked in", held
by the quiz, saved exactly once, and counted under the option clicked.
Targets: 0 answers lost, acknowledgement p99 < 50 ms.

Two set-ups, both measured:

- shared: stand-in and bot share one event loop in this process, as in the tests; the
  stand-in's work (JSON, websocket, HTTP server) competes with the bot's for one core.
- split: the bot runs as ``python -m bot run`` in its own process, pointed at the
  stand-in via DISCORD_API_BASE / DISCORD_GATEWAY_URL, as deployed; the honest figure.
  It is started through BOT_WITH_GC_LOG (the same module, plus a gc callback) so the
  bot's full collections during the burst can be reported next to the latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import math
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web_app
from discord import InteractionType

from bot.core.classquiz import ClassQuiz
from bot.curriculum import Course, load_course
from bot.ops.clock import system_clock
from tests.discord_helpers import button_ids, make_bot
from tests.fake_discord import (
    Callback,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeUser,
    Upload,
    point_discord_py_at,
)
from tests.fake_discord.state import DiscordError, World

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
STUDENTS = 1000
SPREAD_S = 1.0
QUESTION_SECONDS = 30  # long enough that time-up never interferes; the teacher stops it
SETTLE_S = 0.2  # past the stand-in's click_delay after the question was posted
WAIT_S = 60.0  # stopping saves 1,000 learners; the stand-in's 3 s default is too short
BOT_START_S = 60.0
READY_S = 2.5  # discord.py fires on_ready 2 s after the last GUILD_CREATE
TARGET_P99_MS = 50.0
ANSWER_PREFIX = "t:cq-answer"
GC_LOG_ENV = "BENCH_BOT_GC_LOG"
# `python -m bot ...` with each full (generation 2) collection logged as
# "<monotonic s> <pause ms>"; CLOCK_MONOTONIC is shared by all processes on Linux.
BOT_WITH_GC_LOG = f"""
import gc, os, runpy, sys, time
log = open(os.environ["{GC_LOG_ENV}"], "w", buffering=1)
started = [0.0]
def on_gc(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    elif info["generation"] == 2:
        log.write(f"{{time.monotonic()}} {{(time.perf_counter() - started[0]) * 1000}}\\n")
gc.callbacks.append(on_gc)
sys.argv = ["bot", *sys.argv[1:]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


@dataclass
class Click:
    """One student's click: when it was due, sent, and what came back."""

    student: FakeMember
    option: int  # the button's position as rendered (options are shuffled when shown)
    scheduled: float
    sent: float = math.nan
    ix: FakeInteraction | None = None
    content_option: int = -1  # the option's index in the content, which the quiz holds


class GcWatch:
    """Garbage-collector pauses in this process while it is on: a full (generation 2)
    collection stops the whole event loop for tens of ms, so it shows up in the p99."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], (time.perf_counter() - self._started) * 1000))

    def full_collections(self) -> list[float]:
        return [ms for generation, ms in self.pauses if generation == 2]


class AckClock:
    """Notes when each click's callback reaches the stand-in.

    The stand-in records callbacks but not when they arrived, and ``await ix.response()``
    for 1,000 clicks would wake 1,000 waiters on every REST call (its Condition), which
    would itself load the loop. So ``World.acknowledge`` is wrapped on this one instance
    (the stand-in's code is unchanged) and stamps the time as the callback is applied.
    """

    def __init__(self, world: World, expected: int) -> None:
        self.arrived: dict[int, float] = {}
        self.refused: dict[int, str] = {}
        self.all_in = asyncio.Event()
        self._expected = expected
        self._acknowledge = world.acknowledge
        world.acknowledge = self._record  # type: ignore[method-assign]

    def _record(
        self, ix: FakeInteraction, kind: int, data: Mapping[str, Any], uploads: Sequence[Upload]
    ) -> Callback:
        now = time.monotonic()
        is_click = ix.type is InteractionType.component
        try:
            return self._acknowledge(ix, kind, data, uploads)
        except DiscordError as exc:
            if is_click:
                self.refused[ix.id] = str(exc)
            raise
        finally:
            if is_click:
                self.arrived.setdefault(ix.id, now)
                if len(self.arrived) >= self._expected:
                    self.all_in.set()


@dataclass
class RoundResult:
    """What one run measured; latencies in ms, only for acknowledged clicks."""

    mode: str
    students: int
    latency_ms: list[float] = field(default_factory=list)
    from_schedule_ms: list[float] = field(default_factory=list)
    send_lag_ms: list[float] = field(default_factory=list)
    locked_in: int = 0
    refused: int = 0
    held: int | None = None  # answers in the bot's ClassQuiz (shared mode only)
    saved: int = 0
    duplicates: int = 0
    lost: int = 0
    split_ok: bool = False
    burst_s: float = 0.0
    load_avg: float = 0.0
    others_cpu_s: float = 0.0  # CPU other processes used during the burst
    gc_full_ms: list[float] = field(default_factory=list)
    bot_gc_full_ms: list[float] | None = None  # the bot process's (split mode only)
    started_at: float = 0.0  # monotonic: first click due
    ended_at: float = 0.0  # monotonic: last callback in (or gave up)
    gc_longest_ms: float = 0.0
    stand_in_cpu_s: float = 0.0
    bot_cpu_s: float | None = None
    stop_s: float = 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def classroom(students: int) -> tuple[FakeGuild, list[FakeMember]]:
    """The default guild (teacher included) plus ``students`` plain members."""
    guild = FakeGuild()
    return guild, [guild.add_member(FakeUser(f"student{i:04}")) for i in range(students)]


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of another process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds all processes have used, from /proc/stat: the machine is shared, so
    what other processes burn during the burst is reported next to the figures."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def full_collections_in(gc_log: Path, start: float, end: float) -> list[float]:
    """Pauses (ms) of the full collections BOT_WITH_GC_LOG logged between start and end."""
    lines = gc_log.read_text().splitlines() if gc_log.exists() else []
    return [float(ms) for at, ms in map(str.split, lines) if start <= float(at) <= end]


def saved_answers(db_path: Path) -> list[int]:
    """User ids of the class-quiz answers in the database (one row per answer)."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT user_id FROM quiz_answers WHERE source = 'class'")
        return [user_id for (user_id,) in rows]


def answered_split(message: FakeMessage) -> list[int]:
    """Per-option counts from the closed question's "How the class answered" field."""
    for embed in message.embeds:
        for embed_field in embed.get("fields", []):
            if embed_field["name"] == "How the class answered":
                lines = embed_field["value"].splitlines()
                # "✅ **B** ████ 40 · option text": the count ends the part before " · "
                return [int(line.split(" · ")[0].split()[-1]) for line in lines]
    return []


def is_open_question(message: FakeMessage) -> bool:
    """A class-quiz question whose answer buttons can still be clicked."""
    ids = button_ids(message, ANSWER_PREFIX)
    return bool(ids) and not any((message.component(i) or {}).get("disabled") for i in ids)


async def click_on_time(
    fake: FakeDiscord, question: FakeMessage, custom_ids: list[str], click: Click
) -> None:
    await asyncio.sleep(max(0.0, click.scheduled - time.monotonic()))
    click.sent = time.monotonic()
    click.content_option = int(custom_ids[click.option].rsplit(":", 1)[1])
    click.ix = await fake.click(question, custom_ids[click.option], user=click.student)


async def quiz_round(
    fake: FakeDiscord,
    students: list[FakeMember],
    mode: str,
    bot_cpu: Callable[[], float] | None = None,
) -> tuple[RoundResult, list[Click]]:
    """Start a quiz, send the clicks on schedule, stop it; measure on the stand-in side."""
    channel = fake.guild.text_channel
    teacher = fake.guild.teacher
    options = {"questions": 1, "seconds": QUESTION_SECONDS}
    start = await fake.slash("class-quiz start", options, user=teacher)
    assert "Class quiz!" in (await start.original()).content
    question = await fake.wait_for_message(channel, is_open_question)
    custom_ids = button_ids(question, ANSWER_PREFIX)
    await asyncio.sleep(SETTLE_S)

    result = RoundResult(mode, len(students), load_avg=os.getloadavg()[0])
    acks = AckClock(fake.world, len(students))
    t0 = time.monotonic() + 0.05
    clicks = [
        Click(s, i % len(custom_ids), t0 + i * SPREAD_S / len(students))
        for i, s in enumerate(students)
    ]
    cpu0, bot_cpu0, busy0 = time.process_time(), bot_cpu() if bot_cpu else None, machine_busy_s()
    with GcWatch() as watch:
        await asyncio.gather(*(click_on_time(fake, question, custom_ids, c) for c in clicks))
        try:
            await asyncio.wait_for(acks.all_in.wait(), fake.world.ack_deadline + 2)
        except TimeoutError:
            pass  # the missing ones count as lost
    result.gc_full_ms = watch.full_collections()
    result.gc_longest_ms = max((ms for _, ms in watch.pauses), default=0.0)
    result.stand_in_cpu_s = time.process_time() - cpu0
    if bot_cpu is not None and bot_cpu0 is not None:
        result.bot_cpu_s = bot_cpu() - bot_cpu0
    ours = result.stand_in_cpu_s + (result.bot_cpu_s or 0.0)
    result.others_cpu_s = max(machine_busy_s() - busy0 - ours, 0.0)
    result.started_at, result.ended_at = t0, max(acks.arrived.values(), default=t0)
    result.burst_s = result.ended_at - t0
    result.refused = len(acks.refused)

    for click in clicks:
        ix = click.ix
        assert ix is not None
        result.send_lag_ms.append((click.sent - click.scheduled) * 1000)
        callback = ix.callback
        if callback is None or ix.id not in acks.arrived:
            continue
        arrived = acks.arrived[ix.id]
        result.latency_ms.append((arrived - ix.created_at) * 1000)
        result.from_schedule_ms.append((arrived - click.scheduled) * 1000)
        message = callback.message
        if message is not None and message.ephemeral and "Locked in" in message.content:
            result.locked_in += 1

    stopped_at = time.monotonic()
    stop = await fake.slash("class-quiz stop", user=teacher)
    assert "Stopped" in (await stop.original(lambda m: not m.loading)).content
    result.stop_s = time.monotonic() - stopped_at
    await fake.wait_for_message(channel, lambda m: m is question and "time's up" in str(m.embeds))
    expected = Counter(c.option for c in clicks)
    result.split_ok = answered_split(question) == [expected[i] for i in range(len(custom_ids))]
    return result, clicks


def tally(
    result: RoundResult, clicks: list[Click], saved: list[int], quiz: ClassQuiz | None
) -> None:
    """Lost = a student without a "Locked in", or whose answer was not held and saved."""
    chosen = {c.student.id: c.content_option for c in clicks}
    locked = {
        c.student.id
        for c in clicks
        if c.ix is not None
        and c.ix.callback is not None
        and c.ix.callback.message is not None
        and "Locked in" in c.ix.callback.message.content
    }
    ok = locked & set(saved)
    if quiz is not None:
        held = quiz.answers[0]
        result.held = len(held)
        same = {uid for uid, answer in held.items() if answer.option == chosen.get(uid)}
        ok &= same
    result.saved = len(set(saved))
    result.duplicates = len(saved) - len(set(saved))
    result.lost = len(clicks) - len(ok)


async def run_shared(course: Course, students: int) -> RoundResult:
    """Stand-in and bot in this process, on one event loop (the tests' set-up)."""
    guild, members = classroom(students)
    with tempfile.TemporaryDirectory(prefix="cq-bench-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        async with FakeDiscord(guild=guild, wait_timeout=WAIT_S) as fake:
            with point_discord_py_at(fake):
                bot = await make_bot(db_path, course, system_clock, CONTENT)  # type: ignore[arg-type]
                quizzes: list[ClassQuiz] = []
                start = bot.tutor.class_quizzes.start

                def keep(*args: Any, **options: Any) -> ClassQuiz:
                    quizzes.append(start(*args, **options))
                    return quizzes[-1]

                bot.tutor.class_quizzes.start = keep  # type: ignore[method-assign]
                # Ready, as when a teacher starts a quiz; it also lets discord.py's
                # ready tasks finish, which would otherwise keep this bot alive.
                await fake.start_client(bot, wait_ready=True)
                try:
                    result, clicks = await quiz_round(fake, members, "shared")
                finally:
                    await fake.stop_client(bot)
                    await bot.tutor.close()
        tally(result, clicks, saved_answers(db_path), quizzes[0])
    return result


def forget_stand_ins() -> None:
    """Free the finished run's stand-in (and bot) before the next run in this process.

    aiohttp caches each app's middleware chain (lru_cache, 1024 entries, keyed by the
    bound handler), which keeps every stand-in's RestApi and World, with all their
    interactions, alive: ~30k objects per run that later runs' full collections would
    scan. A private aiohttp name, hence the guard.
    """
    cache = getattr(web_app, "_cached_build_middleware", None)
    if cache is not None:
        cache.cache_clear()
    gc.collect()


async def until_bot_answers(fake: FakeDiscord, bot: asyncio.subprocess.Process) -> None:
    """Wait until the bot process is connected and answers a command (guild cached)."""
    deadline = time.monotonic() + BOT_START_S
    while time.monotonic() < deadline:
        if bot.returncode is not None:
            raise RuntimeError(f"python -m bot run exited with {bot.returncode}")
        if fake.gateway.connected:
            probe = await fake.slash("class-quiz stop", user=fake.guild.teacher)
            try:
                async with asyncio.timeout(2):
                    if "No class quiz" in (await probe.original()).content:
                        return
            except (TimeoutError, AssertionError):
                pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not come up")


async def run_split(students: int) -> RoundResult:
    """The bot as ``python -m bot run`` in its own process; the stand-in stays here."""
    guild, members = classroom(students)
    with tempfile.TemporaryDirectory(prefix="cq-bench-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        async with FakeDiscord(guild=guild, wait_timeout=WAIT_S) as fake:
            env = {
                **os.environ,
                **fake.env,
                "DISCORD_TOKEN": fake.token,
                "TUTOR_CONFIG": str(Path(tmp) / "no-config.yaml"),
                "TUTOR_DB": str(db_path),
                "TUTOR_CONTENT": str(CONTENT),
                "TUTOR_SANDBOX_URL": "http://127.0.0.1:9",  # nothing there; /run is unused
                GC_LOG_ENV: str(Path(tmp) / "gc.log"),
            }
            log_path = Path(tmp) / "bot.log"
            with open(log_path, "wb") as log:
                bot_process = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-c", BOT_WITH_GC_LOG, "run"),
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=log,
                )
                try:
                    await until_bot_answers(fake, bot_process)
                    await asyncio.sleep(READY_S)
                    # The load generator must not stall on its own full collections (the
                    # bot's heap is in the other process and untouched by this).
                    gc.collect()
                    gc.freeze()
                    result, clicks = await quiz_round(
                        fake, members, "split", lambda: process_cpu_s(bot_process.pid)
                    )
                except BaseException:
                    tail = log_path.read_text(errors="replace").splitlines()[-20:]
                    print("python -m bot run said:", *tail, sep="\n  ", file=sys.stderr)
                    raise
                finally:
                    gc.unfreeze()
                    if bot_process.returncode is None:
                        bot_process.terminate()
                    await asyncio.wait_for(bot_process.wait(), 30)
        tally(result, clicks, saved_answers(db_path), None)
        result.bot_gc_full_ms = full_collections_in(
            Path(env[GC_LOG_ENV]), result.started_at, result.ended_at
        )
    return result


def describe(run: int, r: RoundResult) -> str:
    cpu = f"stand-in+bot {r.stand_in_cpu_s:.2f} s"
    if r.bot_cpu_s is not None:
        cpu = f"bot {r.bot_cpu_s:.2f} s, stand-in {r.stand_in_cpu_s:.2f} s"
    held = "" if r.held is None else f", held {r.held}"
    where = "stand-in+bot" if r.bot_cpu_s is None else "stand-in"
    full = ", ".join(f"{ms:.0f}" for ms in r.gc_full_ms) or "none"
    bot_gc = ""
    if r.bot_gc_full_ms is not None:
        pauses = ", ".join(f"{ms:.0f}" for ms in r.bot_gc_full_ms) or "none"
        bot_gc = f"  bot process full collections during the burst: {pauses} ms\n"
    return (
        f"{r.mode} run {run}: Locked in {r.locked_in}/{r.students}{held}, saved {r.saved}"
        f" (dup {r.duplicates}), refused {r.refused}, lost {r.lost},"
        f" split {'ok' if r.split_ok else 'WRONG'}\n"
        f"  ack p50 {percentile(r.latency_ms, 50):.1f} ms, p99 {percentile(r.latency_ms, 99):.1f}"
        f" ms, max {max(r.latency_ms, default=math.nan):.1f} ms"
        f" | from schedule p99 {percentile(r.from_schedule_ms, 99):.1f} ms"
        f" | send lag p99 {percentile(r.send_lag_ms, 99):.1f} ms\n"
        f"  last ack {r.burst_s:.2f} s after the first click; CPU during the burst: {cpu};"
        f" stop + save {r.stop_s:.2f} s\n"
        f"  {where} process GC during the burst: full collections {full} ms, longest pause"
        f" {r.gc_longest_ms:.1f} ms\n"
        f"{bot_gc}"
        f"  other processes used {r.others_cpu_s:.2f} CPU-s during the burst (of"
        f" {os.cpu_count()} per s); load average before it {r.load_avg:.2f}"
    )


def summary(results: list[RoundResult]) -> str:
    p99s = [percentile(r.latency_ms, 99) for r in results]
    scheduled = [percentile(r.from_schedule_ms, 99) for r in results]
    lost = sum(r.lost for r in results)
    ok = lost == 0 and max(p99s) < TARGET_P99_MS
    return (
        f"{results[0].mode}: lost {lost} over {len(results)} runs (target 0); ack p99 per run"
        f" {', '.join(f'{p:.1f}' for p in p99s)} ms, median {statistics.median(p99s):.1f} ms"
        f" (target < {TARGET_P99_MS:.0f} ms) -> {'PASS' if ok else 'MISS'};"
        f" from schedule p99 {', '.join(f'{p:.1f}' for p in scheduled)} ms"
    )


async def main_async(args: argparse.Namespace) -> None:
    course = load_course(CONTENT)
    modes = ["shared", "split"] if args.mode == "both" else [args.mode]
    for mode in modes:
        results = []
        for run in range(1, args.runs + 1):
            if mode == "shared":
                result = await run_shared(course, args.students)
            else:
                result = await run_split(args.students)
            forget_stand_ins()  # here, once the run's frames (fake, bot) are gone
            print(describe(run, result), flush=True)
            results.append(result)
        print(summary(results), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--mode", choices=["both", "shared", "split"], default="both")
    parser.add_argument("--profile", type=Path, help="cProfile this process into FILE")
    args = parser.parse_args()
    if args.profile is None:
        asyncio.run(main_async(args))
        return
    profiler = cProfile.Profile()
    profiler.runcall(asyncio.run, main_async(args))
    profiler.dump_stats(args.profile)
    print(f"profile written to {args.profile}")


if __name__ == "__main__":
    main()
