"""/tutor-content in the console: uploads from files, every problem by line, list, remove,
export and templates written beside the database."""

from __future__ import annotations

import pytest

from bot.core.context import CONSOLE_GUILD
from tests.factories import CannedSandbox, open_tutor
from tests.test_console import run_script
from tests.test_teacher_content import CSV, HEADER, TSV, printed


@pytest.fixture
async def tutor(tmp_path, clock):
    core = await open_tutor(tmp_path, clock, CannedSandbox(respond=lambda c, s: printed("hi\n")))
    yield core
    await core.close()


async def test_upload_list_export_and_remove(tutor, tmp_path) -> None:
    (tmp_path / "lecture.csv").write_text(CSV)
    (tmp_path / "deck.txt").write_text(TSV)
    charts = tmp_path / "data" / "charts"
    out = await run_script(
        tutor,
        [
            f"/tutor-content upload file:{tmp_path / 'lecture.csv'} lesson:beta",
            f"/tutor-content upload file:{tmp_path / 'deck.txt'} lesson:alpha dry-run:yes",
            "/tutor-content list",
            "/tutor-content export",
            "/tutor-content template",
            "/tutor-content remove target:1",
        ],
        charts_dir=charts,
    )
    assert "Saved as version 1: 2 questions. Your students see it now." in out
    assert "Checked, all fine: 1 flashcard. Nothing saved (dry run)." in out
    assert "v1 · lecture.csv · 2 items ·" in out
    exported = tmp_path / "data" / "exports" / "server-content.yaml"
    assert f"Written to {exported}" in out and "questions:" in exported.read_text()
    assert (tmp_path / "data" / "exports" / "questions.csv").exists()
    assert "Removed 2 items." in out
    assert tutor.course_for(CONSOLE_GUILD) is tutor.course


async def test_problems_are_listed_by_line_and_students_cannot_upload(tutor, tmp_path) -> None:
    (tmp_path / "bad.csv").write_text(f"{HEADER}\nLost?,yes,no,,,1,ok,easy,nowhere\n")
    out = await run_script(
        tutor,
        [f"/tutor-content upload file:{tmp_path / 'bad.csv'}", "/user bo",
         f"/tutor-content upload file:{tmp_path / 'bad.csv'}"],
    )  # fmt: skip
    assert "Nothing was saved: 1 problem to fix." in out
    assert "  bad.csv:2: no lesson 'nowhere' in this server's course" in out
    assert out.count("Nothing was saved") == 1  # the student was refused before reading
