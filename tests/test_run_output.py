"""Sandbox output rendered for Discord: limits respected, nothing can ping or escape."""

from __future__ import annotations

from bot.discord.ui.run_output import render_run
from bot.sandbox.result import RunResult


def result(
    stdout: str = "",
    stderr: str = "",
    exit_code: int | None = 0,
    timed_out: bool = False,
    memory_exceeded: bool = False,
    output_truncated: bool = False,
) -> RunResult:
    return RunResult(
        stdout, stderr, exit_code, timed_out, memory_exceeded, output_truncated, 12.4, 8.0, 9420
    )


def test_short_output_is_shown_with_status_time_and_memory() -> None:
    shown = render_run(result(stdout="hello\n"))
    assert shown.content == "✅ exit 0 · 12 ms wall · 8 ms CPU · 9.2 MiB peak\n```\nhello\n```"
    assert shown.attachment is None


def test_long_output_is_cut_with_a_note_and_attached_in_full() -> None:
    text = "".join(f"line {i}\n" for i in range(1000))
    shown = render_run(result(stdout=text))
    assert len(shown.content) <= 2000
    assert "full output is attached" in shown.content
    assert shown.attachment == text


def test_no_run_of_backticks_closes_the_fence() -> None:
    for fence in ("```", "````", "``````", "`` `"):
        shown = render_run(result(stdout=f"{fence}\n# Heading\n[link](https://x)"))
        assert shown.content.count("``") == 2  # the bot's own two fences, nothing else


def test_mentions_and_code_fences_are_neutralised() -> None:
    shown = render_run(result(stdout="@everyone <@123> ```\nescape"))
    assert "@everyone" not in shown.content and "<@123>" not in shown.content
    assert shown.content.count("```") == 2


def test_limits_are_named() -> None:
    assert render_run(result(timed_out=True, exit_code=None)).content.startswith("⏱")
    assert render_run(result(memory_exceeded=True, exit_code=None)).content.startswith("💥")
    assert "killed by signal 11 (SIGSEGV)" in render_run(result(exit_code=-11)).content
    assert render_run(result(exit_code=1, stderr="Traceback")).content.startswith("❌ exit 1")
    assert "first 64 KiB" in render_run(result(output_truncated=True)).content
