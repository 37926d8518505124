"""A teacher's reload reaches every bot process of the database: two cores on one database,
as two processes would be, each with its own copy of the content folder."""

from __future__ import annotations

import logging
import random
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from fsrs import Scheduler

from bot.core import course_reloads
from bot.core.tutor import Tutor
from bot.curriculum import ContentError
from bot.curriculum.models import Course
from bot.storage import DatabaseError
from bot.storage.target import DatabaseTarget
from tests.conftest import CONTENT, both_engines
from tests.factories import FakeClock, ManualTimer

pytestmark = both_engines

NEW_TITLE = "Tasks, renamed by the teacher"
OpenProcess = Callable[[str], Awaitable[tuple[Tutor, Path, ManualTimer]]]


@pytest.fixture
async def open_process(
    tmp_path: Path, course: Course, clock: FakeClock, database_target: DatabaseTarget
) -> AsyncIterator[OpenProcess]:
    """Opens a core on the test's database, as a bot process would, with its own copy of
    the course folder and a manual timer for its checks; all are closed afterwards."""
    opened: list[Tutor] = []

    async def open_one(name: str) -> tuple[Tutor, Path, ManualTimer]:
        folder = tmp_path / name
        shutil.copytree(CONTENT, folder)
        timer = ManualTimer(clock)
        tutor = await Tutor.open(
            database_target,
            course,
            clock,
            rng=random.Random(1),
            scheduler=Scheduler(enable_fuzzing=False),
            content_dir=folder,
            sleep=timer.sleep,
            reload_check_s=30,
        )
        opened.append(tutor)
        return tutor, folder, timer

    yield open_one
    for tutor in reversed(opened):
        await tutor.close()


def rename_tasks_lesson(folder: Path) -> None:
    lesson = folder / "lessons" / "tasks.yaml"
    text = lesson.read_text()
    lesson.write_text(
        text.replace('title: "Tasks: running coroutines concurrently"', f'title: "{NEW_TITLE}"', 1)
    )


def break_tasks_lesson(folder: Path) -> None:
    lesson = folder / "lessons" / "tasks.yaml"
    lesson.write_text(lesson.read_text().replace("id: tasks\n", "id: tasks\ncolour: red\n", 1))


def tasks_title(tutor: Tutor) -> str:
    lesson = tutor.course.lesson("tasks")
    assert lesson is not None
    return lesson.title


async def test_a_reload_in_one_process_reaches_the_other_at_its_next_check(
    open_process: OpenProcess,
) -> None:
    teacher, teacher_folder, _ = await open_process("answered")
    other, other_folder, timer = await open_process("other")
    other.follow_reloads()
    rename_tasks_lesson(teacher_folder)
    rename_tasks_lesson(other_folder)

    reloaded = await teacher.reload_course()
    assert reloaded.others_within_s == 30
    assert tasks_title(teacher) == NEW_TITLE
    assert tasks_title(other) != NEW_TITLE  # not before its next check

    assert await timer.advance_until_asleep() == 30
    assert tasks_title(other) == NEW_TITLE


async def test_the_process_that_reloaded_does_not_reload_again_at_its_own_check(
    open_process: OpenProcess, caplog: pytest.LogCaptureFixture
) -> None:
    teacher, folder, timer = await open_process("answered")
    teacher.follow_reloads()
    rename_tasks_lesson(folder)
    await teacher.reload_course()
    reloaded = teacher.course

    with caplog.at_level(logging.INFO, logger="bot.core.course_reloads"):
        await timer.advance_until_asleep()
    assert teacher.course is reloaded
    assert caplog.records == []


async def test_a_process_started_after_a_reload_does_not_reload_at_its_first_check(
    open_process: OpenProcess,
) -> None:
    teacher, _, _ = await open_process("answered")
    await teacher.reload_course()
    later, _, timer = await open_process("started-later")
    started_with = later.course
    later.follow_reloads()
    await timer.advance_until_asleep()
    assert later.course is started_with


async def test_a_broken_folder_in_the_follower_keeps_its_course_and_logs_one_line(
    open_process: OpenProcess, caplog: pytest.LogCaptureFixture
) -> None:
    teacher, teacher_folder, _ = await open_process("answered")
    other, other_folder, timer = await open_process("other")
    before = other.course
    other.follow_reloads()
    rename_tasks_lesson(teacher_folder)
    break_tasks_lesson(other_folder)
    await teacher.reload_course()

    with caplog.at_level(logging.INFO, logger="bot.core.course_reloads"):
        await timer.advance_until_asleep()
        await timer.advance_until_asleep()  # the same reload is not reported again
    assert other.course is before
    [line] = [r.getMessage() for r in caplog.records]
    assert f"the course in {other_folder} has 1 problem(s)" in line
    assert "tasks.yaml:2: unknown key 'colour'" in line
    assert line.endswith("keeping the current course")
    assert "\n" not in line


async def test_a_broken_folder_in_the_reloading_process_changes_nothing_anywhere(
    open_process: OpenProcess,
) -> None:
    teacher, teacher_folder, _ = await open_process("answered")
    other, other_folder, timer = await open_process("other")
    teacher_before, other_before = teacher.course, other.course
    other.follow_reloads()
    break_tasks_lesson(teacher_folder)
    rename_tasks_lesson(other_folder)

    with pytest.raises(ContentError):
        await teacher.reload_course()
    await timer.advance_until_asleep()
    assert teacher.course is teacher_before
    assert other.course is other_before


async def test_a_database_error_in_a_check_is_logged_and_the_next_check_follows(
    open_process: OpenProcess, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher, teacher_folder, _ = await open_process("answered")
    other, other_folder, timer = await open_process("other")
    other.follow_reloads()
    rename_tasks_lesson(teacher_folder)
    rename_tasks_lesson(other_folder)
    await teacher.reload_course()

    real_get = course_reloads.meta.get
    failures = [DatabaseError("connection refused")]

    async def get_failing_once(conn, key):  # type: ignore[no-untyped-def]
        if failures:
            raise failures.pop()
        return await real_get(conn, key)

    monkeypatch.setattr(course_reloads.meta, "get", get_failing_once)
    with caplog.at_level(logging.WARNING, logger="bot.core.course_reloads"):
        await timer.advance_until_asleep()
    assert tasks_title(other) != NEW_TITLE
    [line] = [r.getMessage() for r in caplog.records]
    assert line == "could not check for a course reload (trying again in 30 s): connection refused"

    await timer.advance_until_asleep()
    assert tasks_title(other) == NEW_TITLE


async def test_shutdown_cancels_the_check_loop(
    open_process: OpenProcess, caplog: pytest.LogCaptureFixture
) -> None:
    tutor, _, timer = await open_process("only")
    tutor.follow_reloads()
    await timer.advance_until_asleep()
    assert len(tutor.tasks) == 1
    with caplog.at_level(logging.ERROR):
        await tutor.stop()
    assert len(tutor.tasks) == 0
    assert caplog.records == []
