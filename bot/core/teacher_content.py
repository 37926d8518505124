"""A server's own content: teachers upload lessons, questions (a spreadsheet's CSV) and
flashcards (Anki's text export); the server's learners see them beside the built-in course.

An upload is validated exactly like the built-in course, its programs run in the sandbox
and compared with what the content says they print; nothing is saved if anything is
wrong (``ContentError`` lists every problem). Each upload is a version; removing an item
keeps every learner's state for it (hidden until it comes back).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from bot.core.code_runs import CodeRunFailed, CodeRuns
from bot.core.context import CoreContext
from bot.curriculum.loader import ContentError, Problem
from bot.curriculum.models import Flashcard, Lesson, Question
from bot.curriculum.uploads import Bundle, Parsed, Program, parse_upload
from bot.storage import teacher_content as store
from bot.storage.teacher_content import ItemRow
from bot.storage.teacher_content import UploadRow as UploadRow

MAX_SERVER_ITEMS = 5000
PROGRAMS_AT_ONCE = 4

CSV_TEMPLATE = (
    "prompt,option1,option2,option3,option4,answer,explanation,difficulty,lesson,id\n"
    "What does await do while the awaited thing is not ready?,"
    "Suspends the coroutine and lets the loop run others,Blocks the whole thread,,,1,"
    "Awaiting gives control back to the event loop.,easy,coroutines,my-await-question\n"
)
TSV_TEMPLATE = (
    "#separator:tab\n"
    "What runs a coroutine concurrently with the caller?\tasyncio.create_task(coro)\n"
    "What does <b>asyncio.gather</b> return?\tThe results, in the order of its arguments\n"
)


@dataclass(frozen=True)
class Uploaded:
    version: int | None  # None: a dry run, nothing saved
    lessons: int
    questions: int
    flashcards: int


class TeacherContent:
    def __init__(self, ctx: CoreContext, code: CodeRuns) -> None:
        self._ctx = ctx
        self._code = code

    async def load(self) -> None:
        """Give every server its own content (at start)."""
        for guild, rows in (await store.items(self._ctx.db)).items():
            self._ctx.courses.teach(guild, _bundle(rows))

    async def refresh(self, guild_id: int) -> None:
        """Read one server's content again: with several bot processes, another one (that
        of the server's shard) takes its uploads, after this one loaded it at start."""
        rows = (await store.items(self._ctx.db, guild_id)).get(guild_id, [])
        self._ctx.courses.teach(guild_id, _bundle(rows))

    async def upload(
        self,
        guild_id: int,
        teacher_id: int,
        filename: str,
        data: bytes,
        lesson: str | None = None,
        dry_run: bool = False,
    ) -> Uploaded:
        course = self._ctx.course_for(guild_id)
        known = {x.id for x in course.lessons}
        parsed = await asyncio.to_thread(parse_upload, filename, data, known, lesson)
        current = _bundle((await store.items(self._ctx.db, guild_id)).get(guild_id, []))
        problems = [
            *self._clashes(parsed.bundle, filename),
            *self._over_limit(parsed, current, filename),
        ]
        problems += await self._wrong_programs(parsed.programs)
        if problems:
            raise ContentError(problems)
        bundle = parsed.bundle
        counts = (len(bundle.lessons), len(bundle.questions), len(bundle.flashcards))
        if dry_run:
            return Uploaded(None, *counts)
        async with self._ctx.db.transaction() as conn:
            version = await store.add_upload(
                conn, guild_id, Path(filename).name, teacher_id, self._ctx.now().timestamp(),
                _rows(bundle), bundle.items,
            )  # fmt: skip
        await self._refresh(guild_id)
        return Uploaded(version, *counts)

    def _clashes(self, bundle: Bundle, filename: str) -> list[Problem]:
        """Ids taken by the built-in course: the server's own must not hide them."""
        course = self._ctx.course
        taken = {("lesson", x.id) for x in course.lessons}
        taken |= {("question", q.id) for q in course.questions}
        taken |= {("flashcard", c.id) for c in course.flashcards}
        return [
            Problem(
                Path(filename), 1, f"{kind} id {item_id!r} is in the built-in course; pick another"
            )
            for kind, item_id in bundle.ids()
            if (kind, item_id) in taken
        ]

    def _over_limit(self, parsed: Parsed, current: Bundle, filename: str) -> list[Problem]:
        replaced = {item for item in parsed.bundle.ids()} & set(current.ids())
        total = current.items + parsed.bundle.items - len(replaced)
        if total <= MAX_SERVER_ITEMS:
            return []
        return [
            Problem(
                Path(filename),
                1,
                f"the server would hold {total:,} items of its own; "
                f"the limit is {MAX_SERVER_ITEMS:,}",
            )
        ]

    async def _wrong_programs(self, programs: tuple[Program, ...]) -> list[Problem]:
        slots = asyncio.Semaphore(PROGRAMS_AT_ONCE)

        async def check(program: Program) -> Problem | None:
            async with slots:
                result = await self._code.run(program.code)
            printed = result.stdout
            if printed.rstrip("\n") == program.expected.rstrip("\n"):
                return None
            shown = printed.strip().replace("\n", "⏎")[:80] or "nothing"
            return Problem(
                program.where.path,
                program.where.line,
                f"{program.where.message}: it printed {shown}",
            )

        try:
            found = await asyncio.gather(*(check(p) for p in programs))
        except CodeRunFailed as exc:
            where = programs[0].where
            return [Problem(where.path, 1, f"the programs could not be checked: {exc}")]
        return [p for p in found if p is not None]

    async def uploads(self, guild_id: int) -> list[UploadRow]:
        return await store.uploads(self._ctx.db, guild_id)

    async def remove(self, guild_id: int, target: str) -> int:
        """Remove an upload (its version number, what it still holds) or one item by id;
        how many items went (a lesson's cards and questions count, as in uploads).
        Learners' state for them is kept."""
        before = self._ctx.courses.teacher_items(guild_id)
        async with self._ctx.db.transaction() as conn:
            if target.isdigit():
                await store.remove_upload(conn, guild_id, int(target))
            else:
                await store.remove_item(conn, guild_id, target)
        await self._refresh(guild_id)
        return before - self._ctx.courses.teacher_items(guild_id)

    async def export(self, guild_id: int) -> str | None:
        """The server's own content as one YAML file that uploads back unchanged."""
        rows = (await store.items(self._ctx.db, guild_id)).get(guild_id, [])
        return _bundle(rows).to_yaml() if rows else None

    async def _refresh(self, guild_id: int) -> None:
        rows = (await store.items(self._ctx.db, guild_id)).get(guild_id, [])
        self._ctx.courses.teach(guild_id, _bundle(rows))


def _rows(bundle: Bundle) -> list[ItemRow]:
    return [
        *(ItemRow("lesson", x.id, x.model_dump_json()) for x in bundle.lessons),
        *(ItemRow("question", q.id, q.model_dump_json()) for q in bundle.questions),
        *(ItemRow("flashcard", c.id, c.model_dump_json()) for c in bundle.flashcards),
    ]


def _bundle(rows: list[ItemRow]) -> Bundle:
    def of(kind: str) -> list[str]:
        return [row.data for row in rows if row.kind == kind]

    return Bundle(
        tuple(Lesson.model_validate(json.loads(d)) for d in of("lesson")),
        tuple(Question.model_validate(json.loads(d)) for d in of("question")),
        tuple(Flashcard.model_validate(json.loads(d)) for d in of("flashcard")),
    )
