"""Class quiz under load: 1,000 students answer one question within one second.

Run by hand: ``.venv/bin/python -m bench.class_quiz_bench [--runs 3] [--students 1000]
[--mode both|shared|split|pg-two] [--pg URL] [--profile FILE]``.

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

And one more, only when asked for (``--mode pg-two``), for issue 16:

- pg-two: two bot processes (TUTOR_SHARDS 0/2 and 1/2) on one PostgreSQL database (a
  throwaway server with PostgreSQL's default durability, or the server ``--pg`` names),
  against a stand-in with two shards and one guild on each, N/2 students apiece. Both
  teachers start a quiz; the N clicks alternate between the guilds over the same
  second. Reported per guild and overall, with each bot's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import itertools
import math
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web_app
from discord import InteractionType

from bot.core.classquiz import ClassQuiz
from bot.curriculum import Course, load_course
from bot.ops.clock import system_clock
from bot.storage import Database
from bot.storage.target import DatabaseTarget, PostgresUrl
from tests import postgres_server
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
SHARDS = 2  # pg-two: one bot process per shard
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
class Room:
    """One guild's class: its students, and the question its teacher's quiz put up."""

    guild: FakeGuild
    students: list[FakeMember]
    question: FakeMessage | None = None
    custom_ids: list[str] = field(default_factory=list)


@dataclass
class Click:
    """One student's click: when it was due, sent, and what came back."""

    room: Room
    student: FakeMember
    option: int  # the button's position as rendered (options are shuffled when shown)
    scheduled: float
    sent: float = math.nan
    ix: FakeInteraction | None = None
    content_option: int = -1  # the option's index in the content, which the quiz holds
    arrived: float | None = None  # when its callback reached the stand-in


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
    # Each bot process's, by name (bot processes only).
    bot_gc_full_ms: dict[str, list[float]] = field(default_factory=dict)
    started_at: float = 0.0  # monotonic: first click due
    ended_at: float = 0.0  # monotonic: last callback in (or gave up)
    gc_longest_ms: float = 0.0
    stand_in_cpu_s: float = 0.0
    # By process: the bots, and a local PostgreSQL server (bot processes only).
    cpu_by_process_s: dict[str, float] = field(default_factory=dict)
    stop_s: float = 0.0
    guilds: dict[str, RoundResult] = field(default_factory=dict)  # per guild, if several


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


def server_cpu(url: PostgresUrl) -> Callable[[], float] | None:
    """CPU seconds so far of the local PostgreSQL server at ``url`` (its postmaster and
    the backends it has now), found in /proc by its ``-p PORT``; None if not here."""
    port = str(urllib.parse.urlsplit(url.url).port or 5432).encode()
    postmaster = None
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            args = cmdline.read_bytes().split(b"\0")
            pairs = itertools.pairwise(args)
            if args[0].endswith(b"/postgres") and (b"-p", port) in pairs:
                postmaster = int(cmdline.parent.name)
    if postmaster is None:
        return None
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                pids.append(int(stat.parent.name))

    def cpu_s() -> float:
        total = 0.0
        for pid in pids:
            with contextlib.suppress(OSError):  # a backend may have ended
                total += process_cpu_s(pid)
        return total

    return cpu_s


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


async def saved_answers(target: DatabaseTarget) -> list[int]:
    """User ids of the class-quiz answers in the database (one row per answer), read
    back through the storage layer, so the same for SQLite and PostgreSQL."""
    database = await Database.open(target)
    try:
        rows = await database.fetchall("SELECT user_id FROM quiz_answers WHERE source = 'class'")
    finally:
        await database.close()
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


async def click_on_time(fake: FakeDiscord, click: Click) -> None:
    await asyncio.sleep(max(0.0, click.scheduled - time.monotonic()))
    click.sent = time.monotonic()
    custom_id = click.room.custom_ids[click.option]
    click.content_option = int(custom_id.rsplit(":", 1)[1])
    assert click.room.question is not None
    click.ix = await fake.click(click.room.question, custom_id, user=click.student)


async def start_quiz(fake: FakeDiscord, room: Room) -> None:
    """The room's teacher starts a one-question quiz; the room notes its question."""
    channel = room.guild.text_channel
    options = {"questions": 1, "seconds": QUESTION_SECONDS}
    start = await fake.slash("class-quiz start", options, user=room.guild.teacher, channel=channel)
    assert "Class quiz!" in (await start.original()).content
    room.question = await fake.wait_for_message(channel, is_open_question)
    room.custom_ids = button_ids(room.question, ANSWER_PREFIX)


async def stop_quiz(fake: FakeDiscord, room: Room, clicks: list[Click]) -> bool:
    """The teacher stops the quiz (closing the question, saving everything); whether the
    closed question shows the split of options its clicks chose."""
    channel, question = room.guild.text_channel, room.question
    stop = await fake.slash("class-quiz stop", user=room.guild.teacher, channel=channel)
    assert "Stopped" in (await stop.original(lambda m: not m.loading)).content
    await fake.wait_for_message(channel, lambda m: m is question and "time's up" in str(m.embeds))
    assert question is not None
    expected = Counter(c.option for c in clicks if c.room is room)
    return answered_split(question) == [expected[i] for i in range(len(room.custom_ids))]


def burst(rooms: list[Room], t0: float) -> list[Click]:
    """One click per student, the rooms' students taken in turn, spread over SPREAD_S
    from t0; each room's students click its options in turn."""
    taken = itertools.zip_longest(
        *([(room, i, s) for i, s in enumerate(room.students)] for room in rooms)
    )
    order = [turn for turns in taken for turn in turns if turn is not None]
    return [
        Click(room, student, i % len(room.custom_ids), t0 + n * SPREAD_S / len(order))
        for n, (room, i, student) in enumerate(order)
    ]


def score(result: RoundResult, clicks: list[Click]) -> None:
    """Latencies and "Locked in"s of these clicks, as the stand-in saw them."""
    for click in clicks:
        ix = click.ix
        assert ix is not None
        result.send_lag_ms.append((click.sent - click.scheduled) * 1000)
        callback = ix.callback
        if callback is None or click.arrived is None:
            continue
        result.latency_ms.append((click.arrived - ix.created_at) * 1000)
        result.from_schedule_ms.append((click.arrived - click.scheduled) * 1000)
        message = callback.message
        if message is not None and message.ephemeral and "Locked in" in message.content:
            result.locked_in += 1


async def quiz_round(
    fake: FakeDiscord,
    rooms: list[Room],
    mode: str,
    process_cpus: Mapping[str, Callable[[], float]] | None = None,
) -> tuple[RoundResult, list[Click]]:
    """Start a quiz in every room, send the clicks on schedule, stop the quizzes; measure
    on the stand-in side. ``process_cpus``: other processes' CPU seconds so far, by name."""
    for room in rooms:
        await start_quiz(fake, room)
    await asyncio.sleep(SETTLE_S)

    students = sum(len(room.students) for room in rooms)
    result = RoundResult(mode, students, load_avg=os.getloadavg()[0])
    acks = AckClock(fake.world, students)
    t0 = time.monotonic() + 0.05
    clicks = burst(rooms, t0)
    process_cpus = process_cpus or {}
    cpu0, busy0 = time.process_time(), machine_busy_s()
    process_cpu0 = {name: cpu() for name, cpu in process_cpus.items()}
    with GcWatch() as watch:
        await asyncio.gather(*(click_on_time(fake, c) for c in clicks))
        try:
            await asyncio.wait_for(acks.all_in.wait(), fake.world.ack_deadline + 2)
        except TimeoutError:
            pass  # the missing ones count as lost
    result.gc_full_ms = watch.full_collections()
    result.gc_longest_ms = max((ms for _, ms in watch.pauses), default=0.0)
    result.stand_in_cpu_s = time.process_time() - cpu0
    result.cpu_by_process_s = {
        name: cpu() - process_cpu0[name] for name, cpu in process_cpus.items()
    }
    ours = result.stand_in_cpu_s + sum(result.cpu_by_process_s.values())
    result.others_cpu_s = max(machine_busy_s() - busy0 - ours, 0.0)
    result.started_at, result.ended_at = t0, max(acks.arrived.values(), default=t0)
    result.burst_s = result.ended_at - t0
    result.refused = len(acks.refused)
    for click in clicks:
        assert click.ix is not None
        click.arrived = acks.arrived.get(click.ix.id)
    score(result, clicks)

    stopped_at = time.monotonic()
    result.split_ok = all([await stop_quiz(fake, room, clicks) for room in rooms])
    result.stop_s = time.monotonic() - stopped_at
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
                    result, clicks = await quiz_round(fake, [Room(guild, members)], "shared")
                finally:
                    await fake.stop_client(bot)
                    await bot.tutor.close()
        tally(result, clicks, await saved_answers(db_path), quizzes[0])
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


@dataclass
class BotProcess:
    """``python -m bot run`` (through BOT_WITH_GC_LOG) in a folder of its own, where its
    files (heartbeat, GC log, output) go; ``guild`` is one it serves."""

    name: str
    guild: FakeGuild
    folder: Path
    process: asyncio.subprocess.Process

    def cpu_s(self) -> float:
        return process_cpu_s(self.process.pid)

    @property
    def gc_log(self) -> Path:
        return self.folder / "gc.log"

    @property
    def output(self) -> Path:
        return self.folder / "bot.log"


async def until_bots_answer(fake: FakeDiscord, bots: list[BotProcess]) -> None:
    """Wait until every bot process is connected and answers a command in its guild."""
    deadline = time.monotonic() + BOT_START_S
    waiting = list(bots)
    while waiting and time.monotonic() < deadline:
        for bot in bots:
            if bot.process.returncode is not None:
                raise RuntimeError(
                    f"{bot.name}: python -m bot run exited with {bot.process.returncode}"
                )
        if fake.gateway.connected >= len(bots):
            bot = waiting[0]
            channel = bot.guild.text_channel
            probe = await fake.slash("class-quiz stop", user=bot.guild.teacher, channel=channel)
            try:
                async with asyncio.timeout(2):
                    if "No class quiz" in (await probe.original()).content:
                        waiting.pop(0)
                        continue
            except (TimeoutError, AssertionError):
                pass
        await asyncio.sleep(0.1)
    if waiting:
        raise RuntimeError(f"{waiting[0].name} did not come up")


@contextlib.asynccontextmanager
async def bot_processes(
    fake: FakeDiscord, folder: Path, database: DatabaseTarget, shards: Mapping[str, FakeGuild]
) -> AsyncIterator[list[BotProcess]]:
    """The bot processes, pointed at the stand-in via DISCORD_API_BASE /
    DISCORD_GATEWAY_URL, up and answering; stopped at the end. ``shards`` maps each
    process's TUTOR_SHARDS ("" for none: one process, every guild) to a guild it serves."""
    bots: list[BotProcess] = []
    try:
        for n, (shard_range, guild) in enumerate(shards.items()):
            home = folder / f"bot{n}"
            home.mkdir()
            name = f"bot {shard_range}" if shard_range else "bot"
            env = {
                **os.environ,
                **fake.env,
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                "DISCORD_TOKEN": fake.token,
                "TUTOR_CONFIG": str(folder / "no-config.yaml"),
                "TUTOR_DB": database.url if isinstance(database, PostgresUrl) else str(database),
                "TUTOR_CONTENT": str(CONTENT),
                "TUTOR_SANDBOX_URL": "http://127.0.0.1:9",  # nothing there; /run is unused
                GC_LOG_ENV: str(home / "gc.log"),
                **({"TUTOR_SHARDS": shard_range} if shard_range else {}),
            }
            with open(home / "bot.log", "wb") as log:
                process = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-c", BOT_WITH_GC_LOG, "run"),
                    env=env,
                    cwd=home,
                    stdout=log,
                    stderr=log,
                )
            bots.append(BotProcess(name, guild, home, process))
        await until_bots_answer(fake, bots)
        await asyncio.sleep(READY_S)
        # The load generator must not stall on its own full collections (the bots'
        # heaps are in the other processes and untouched by this).
        gc.collect()
        gc.freeze()
        yield bots
    except BaseException:
        for bot in bots:
            tail = bot.output.read_text(errors="replace").splitlines()[-20:]
            print(f"{bot.name} said:", *tail, sep="\n  ", file=sys.stderr)
        raise
    finally:
        gc.unfreeze()
        for bot in bots:
            if bot.process.returncode is None:
                bot.process.terminate()
        for bot in bots:
            await asyncio.wait_for(bot.process.wait(), 30)


async def run_processes(
    fake: FakeDiscord,
    rooms: list[Room],
    mode: str,
    database: DatabaseTarget,
    folder: Path,
    shards: Sequence[str],
) -> RoundResult:
    """One round against bot processes, one per shard range (room ``n`` is served by the
    process of ``shards[n]``); then tallied overall and, with several rooms, per guild."""
    serving = {shard_range: room.guild for shard_range, room in zip(shards, rooms, strict=True)}
    async with bot_processes(fake, folder, database, serving) as bots:
        cpus = {b.name: b.cpu_s for b in bots}
        server = server_cpu(database) if isinstance(database, PostgresUrl) else None
        if server is not None:
            cpus["postgres"] = server  # its backends are listed now, with the bots connected
        result, clicks = await quiz_round(fake, rooms, mode, cpus)
    saved = await saved_answers(database)
    tally(result, clicks, saved, None)
    result.bot_gc_full_ms = {
        b.name: full_collections_in(b.gc_log, result.started_at, result.ended_at) for b in bots
    }
    if len(rooms) > 1:
        for room in rooms:
            theirs = [c for c in clicks if c.room is room]
            part = RoundResult(room.guild.name, len(theirs))
            score(part, theirs)
            ids = {c.student.id for c in theirs}
            tally(part, theirs, [uid for uid in saved if uid in ids], None)
            result.guilds[room.guild.name] = part
    return result


async def run_split(students: int) -> RoundResult:
    """The bot as ``python -m bot run`` in its own process; the stand-in stays here."""
    guild, members = classroom(students)
    with tempfile.TemporaryDirectory(prefix="cq-bench-") as tmp:
        async with FakeDiscord(guild=guild, wait_timeout=WAIT_S) as fake:
            database = Path(tmp) / "bench.sqlite3"
            rooms = [Room(guild, members)]
            return await run_processes(fake, rooms, "split", database, Path(tmp), [""])


async def run_pg_two(students: int, server: str) -> RoundResult:
    """Two bot processes, one per shard, on one fresh PostgreSQL database of ``server``;
    one guild per shard, half the students in each."""
    with (
        tempfile.TemporaryDirectory(prefix="cq-bench-") as tmp,
        postgres_server.fresh_database(server) as database,
    ):
        async with FakeDiscord(shards=SHARDS, wait_timeout=WAIT_S) as fake:
            rooms = []
            for shard in range(SHARDS):
                guild = fake.add_guild(f"class on shard {shard}", shard=shard)
                count = students // SHARDS + (shard < students % SHARDS)
                members = [guild.add_member(FakeUser(f"s{shard}-{i:04}")) for i in range(count)]
                rooms.append(Room(guild, members))
            shards = [f"{shard}/{SHARDS}" for shard in range(SHARDS)]
            return await run_processes(fake, rooms, "pg-two", database, Path(tmp), shards)


def describe_guild(r: RoundResult) -> str:
    return (
        f"  {r.mode}: Locked in {r.locked_in}/{r.students}, saved {r.saved}"
        f" (dup {r.duplicates}), lost {r.lost}, ack p50 {percentile(r.latency_ms, 50):.1f} ms,"
        f" p99 {percentile(r.latency_ms, 99):.1f} ms\n"
    )


def describe(run: int, r: RoundResult) -> str:
    cpu = f"stand-in+bot {r.stand_in_cpu_s:.2f} s"
    if r.cpu_by_process_s:
        cpus = ", ".join(f"{name} {s:.2f} s" for name, s in r.cpu_by_process_s.items())
        cpu = f"{cpus}, stand-in {r.stand_in_cpu_s:.2f} s"
    held = "" if r.held is None else f", held {r.held}"
    where = "stand-in" if r.cpu_by_process_s else "stand-in+bot"
    full = ", ".join(f"{ms:.0f}" for ms in r.gc_full_ms) or "none"
    bot_gc = "".join(
        f"  {name} process full collections during the burst:"
        f" {', '.join(f'{ms:.0f}' for ms in pauses) or 'none'} ms\n"
        for name, pauses in r.bot_gc_full_ms.items()
    )
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
        f"{''.join(describe_guild(part) for part in r.guilds.values())}"
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
    with contextlib.ExitStack() as stack:
        server = args.pg
        if server is None and "pg-two" in modes:
            server = stack.enter_context(postgres_server.throwaway_server(durable=True))
        for mode in modes:
            await run_mode(mode, args, course, server)


async def run_mode(mode: str, args: argparse.Namespace, course: Course, server: str | None) -> None:
    """``args.runs`` runs of one set-up, each described, then summed up."""
    results = []
    for run in range(1, args.runs + 1):
        if mode == "shared":
            result = await run_shared(course, args.students)
        elif mode == "split":
            result = await run_split(args.students)
        else:
            assert server is not None
            result = await run_pg_two(args.students, server)
        forget_stand_ins()  # here, once the run's frames (fake, bot) are gone
        print(describe(run, result), flush=True)
        results.append(result)
    print(summary(results), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--mode", choices=["both", "shared", "split", "pg-two"], default="both")
    parser.add_argument("--pg", help="pg-two: a PostgreSQL server URL (default: a throwaway one)")
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
