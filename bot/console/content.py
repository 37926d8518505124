"""/tutor-content in the console: the same uploads as in Discord, from files on disk; the
export and the templates are written beside the database and their paths printed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.console.commands import UsageError, command
from bot.console.session import Console
from bot.core.context import CONSOLE_GUILD
from bot.core.teacher_content import CSV_TEMPLATE, TSV_TEMPLATE
from bot.curriculum import ContentError
from bot.curriculum.uploads import MAX_UPLOAD_BYTES
from bot.render.teacher_content import (
    problem_lines,
    refused_line,
    removed_line,
    upload_lines,
    uploaded_line,
)

YES = {"yes", "true", "1", "y"}


@command(
    "tutor-content upload",
    "file",
    "lesson",
    "dry-run",
    help="/tutor-content upload file:PATH [lesson:..] [dry-run:yes]: add your own content",
    teachers_only=True,
)
async def upload(console: Console, file: str = "", lesson: str = "", dry_run: str = "") -> None:
    if not file:
        raise UsageError("Which file? file:PATH (a lesson .yaml, questions .csv, cards .tsv/.txt).")
    path = Path(file)
    data = await asyncio.to_thread(_read, path)
    try:
        done = await console.tutor.content.upload(
            CONSOLE_GUILD, console.who.user_id, path.name, data, lesson or None,
            dry_run.lower() in YES,
        )  # fmt: skip
    except ContentError as exc:
        console.say(refused_line(exc.problems))
        for line in problem_lines(exc.problems):
            console.say(line, indent="  ")
        return
    console.say(uploaded_line(done))


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise UsageError(f"{path} is over 256 KiB; the limit is 256 KiB.")
    return data


@command(
    "tutor-content list", help="/tutor-content list: the uploads, by version", teachers_only=True
)
async def list_uploads(console: Console) -> None:
    for line in upload_lines(await console.tutor.content.uploads(CONSOLE_GUILD)):
        console.say(line)


@command(
    "tutor-content remove",
    "target",
    help="/tutor-content remove target:VERSION|ID: remove an upload or one item",
    teachers_only=True,
)
async def remove(console: Console, target: str = "") -> None:
    if not target:
        raise UsageError("Remove what? A version number from /tutor-content list, or an item id.")
    console.say(removed_line(await console.tutor.content.remove(CONSOLE_GUILD, target), target))


@command(
    "tutor-content export",
    help="/tutor-content export: write your own content to one YAML file",
    teachers_only=True,
)
async def export(console: Console) -> None:
    text = await console.tutor.content.export(CONSOLE_GUILD)
    if text is None:
        console.say("There is no content of your own yet.")
        return
    path = await _write(console, "server-content.yaml", text)
    console.say(f"Written to {path}; upload it again as it is to restore it.")


@command(
    "tutor-content template",
    help="/tutor-content template: write example questions.csv and flashcards.tsv",
    teachers_only=True,
)
async def template(console: Console) -> None:
    for name, text in (("questions.csv", CSV_TEMPLATE), ("flashcards.tsv", TSV_TEMPLATE)):
        console.say(f"Written: {await _write(console, name, text)}")


async def _write(console: Console, name: str, text: str) -> Path:
    """Files go beside the database, in ``exports/`` (next to the charts)."""
    if console.charts_dir is None:
        raise UsageError("This console has no folder to write files to.")
    path = console.charts_dir.parent / "exports" / name
    await asyncio.to_thread(_save, path, text)
    return path


def _save(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
