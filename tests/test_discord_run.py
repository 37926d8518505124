"""/run and "Run it" through the stand-in, with a canned sandbox client."""

from __future__ import annotations

import pytest

from bot.sandbox.client import SandboxBusy, SandboxClient, SandboxUnavailable
from bot.sandbox.result import RunResult
from tests.conftest import CONTENT
from tests.discord_helpers import connected_bot, custom_id_of, labels
from tests.factories import CannedSandbox
from tests.fake_discord import FakeDiscord
from tests.fake_discord.fixtures import fake_discord
from tests.sandbox_helpers import running_sandbox

__all__ = ["fake_discord"]


def printed(text: str) -> RunResult:
    return RunResult(text, "", 0, False, False, False, 21.0, 15.0, 9000)


@pytest.fixture
async def sandbox() -> CannedSandbox:
    return CannedSandbox(respond=lambda code, stdin: printed(f"ran {len(code)} chars, {stdin}"))


@pytest.fixture
async def bot(fake_discord: FakeDiscord, tmp_path, course, clock, sandbox):
    async with connected_bot(
        fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT, sandbox=sandbox
    ) as b:
        yield b


async def submit_code(fake: FakeDiscord, code: str, stdin: str = ""):
    student = fake.guild.student
    opened = await (await fake.slash("run", user=student)).response()
    assert opened.type.name == "modal"
    fields = [row["components"][0]["custom_id"] for row in opened.data["components"]]
    ix = await fake.submit_modal(
        opened.data["custom_id"], dict(zip(fields, [code, stdin], strict=True)), user=student
    )
    return await ix.original(lambda m: not m.loading)


async def test_run_shows_output_status_time_and_memory(fake_discord, bot, sandbox) -> None:
    reply = await submit_code(fake_discord, "print(input())", "hello")
    assert sandbox.runs == [("print(input())", "hello")]
    assert reply.content.startswith("✅ exit 0 · 21 ms wall · 15 ms CPU · 8.8 MiB peak")
    assert "ran 14 chars, hello" in reply.content


async def test_long_output_is_cut_and_attached(fake_discord, bot, sandbox) -> None:
    sandbox.respond = lambda code, stdin: printed("x\n" * 5000)
    reply = await submit_code(fake_discord, "print('x\\n' * 5000)")
    assert len(reply.content) <= 2000 and "full output is attached" in reply.content
    [attachment] = reply.attachments
    assert attachment.filename == "output.txt" and attachment.data == b"x\n" * 5000


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (SandboxUnavailable("down"), "not available right now"),
        (SandboxBusy("full"), "busy with other students' code"),
    ],
)
async def test_worker_down_or_busy_gets_a_friendly_message(
    fake_discord, bot, sandbox, error, message
) -> None:
    def fail(code: str, stdin: str) -> RunResult:
        raise error

    sandbox.respond = fail
    reply = await submit_code(fake_discord, "print(1)")
    assert message in reply.content
    assert "Traceback" not in reply.content


async def test_the_lesson_example_runs_from_its_button(fake_discord, bot, sandbox) -> None:
    student = fake_discord.guild.student
    ix = await fake_discord.slash("lesson", {"topic": "tasks"}, user=student)
    lesson = (await ix.response()).message
    assert "Run it" in labels(lesson)
    run = await fake_discord.click(lesson, custom_id_of(lesson, "Run it"), user=student)
    result = await run.original(lambda m: not m.loading)
    assert sandbox.runs[-1][0] == bot.tutor.course.lesson("tasks").examples[0].code
    assert result.content.startswith("✅ exit 0")


async def test_no_run_button_while_the_worker_is_down(fake_discord, bot, sandbox) -> None:
    sandbox.up = False
    ix = await fake_discord.slash("lesson", {"topic": "tasks"}, user=fake_discord.guild.student)
    assert "Run it" not in labels((await ix.response()).message)


async def test_the_bot_and_a_real_sandbox_worker_agree(
    fake_discord, tmp_path, course, clock
) -> None:
    """No canned answers: the real worker and client behind /run, for a crashing snippet."""
    async with (
        running_sandbox() as worker,
        SandboxClient(worker.url) as client,
        connected_bot(fake_discord, tmp_path / "t.sqlite3", course, clock, CONTENT, sandbox=client),
    ):
        reply = await submit_code(
            fake_discord, "import ctypes\nprint('before', flush=True)\nctypes.string_at(0)"
        )
    assert reply.content.startswith("⚠️ killed by signal 11 (SIGSEGV)")
    assert "before" in reply.content
