"""A server's own content: uploads in three formats validated like the course (every
problem as file:line), versions, removal that keeps learners' state, export that uploads
back unchanged, and the server's learners seeing it (and no other server)."""

from __future__ import annotations

import pytest
from fsrs import Rating

from bot.core import teacher_content
from bot.core.code_runs import RunResult
from bot.core.context import Learner
from bot.curriculum.loader import ContentError
from bot.curriculum.uploads import MAX_UPLOAD_BYTES
from tests.conftest import both_engines
from tests.factories import CannedSandbox, open_tutor

pytestmark = both_engines

SCHOOL, OTHER = 10, 20
TEACHER = 99
HEADER = "prompt,option1,option2,option3,option4,answer,explanation,difficulty,lesson"
CSV = (
    f"{HEADER}\n"
    "What does await give back?,The coroutine's result,A thread,,,1,"
    "It is the return value.,easy,alpha\n"
    "Which runs first?,The awaited call,The next line,Neither,,The awaited call,"
    "Awaits run in order.,medium,\n"
)
TSV = (
    "#separator:tab\n#html:true\n"
    "What is a <b>Task</b>?\tA scheduled coroutine<br>that runs &amp; reports\n"
)
LESSON = """\
id: my-lesson
title: My own lesson
summaries: {basic: b, medium: m, detailed: d}
key_concepts: [{name: k, explanation: e}]
examples:
  - title: Hello
    code: print('hi')
    output: "hi\\n"
    explanation: It prints hi.
memory_aid: aid
glossary: [{term: t, definition: d}]
flashcards: [{id: my-card, front: F, back: B}]
questions:
  - id: my-question
    prompt: What prints?
    options: ["yes", "no"]
    answer: "yes"
    explanation: because
    difficulty: easy
"""


def printed(text: str) -> RunResult:
    return RunResult(text, "", 0, False, False, False, 5, 4, 2048)


@pytest.fixture
def sandbox() -> CannedSandbox:
    return CannedSandbox(respond=lambda code, stdin: printed("hi\n" if "hi" in code else ""))


@pytest.fixture
async def tutor(tmp_path, clock, sandbox, database_target):
    core = await open_tutor(tmp_path, clock, sandbox, database=database_target)
    yield core
    await core.close()


async def upload(tutor, name: str, text: str | bytes, **options):
    data = text.encode() if isinstance(text, str) else text
    return await tutor.content.upload(SCHOOL, TEACHER, name, data, **options)


async def problems_of(tutor, name: str, text: str | bytes, **options) -> list[str]:
    with pytest.raises(ContentError) as refused:
        await upload(tutor, name, text, **options)
    return [str(p) for p in refused.value.problems]


async def test_a_spreadsheets_questions_join_the_servers_course(tutor) -> None:
    done = await upload(tutor, "lecture.csv", CSV, lesson="beta")
    assert (done.version, done.questions) == (1, 2)
    mine = tutor.course_for(SCHOOL)
    alpha = [q for q in mine.lesson("alpha").questions if q.by_teacher]
    beta = [q for q in mine.lesson("beta").questions if q.by_teacher]
    assert [q.prompt for q in alpha] == ["What does await give back?"]  # its lesson column
    assert [q.answer for q in beta] == ["The awaited call"]  # the lesson option
    assert alpha[0].answer == "The coroutine's result"  # answer 1 is the first option
    assert alpha[0].options == ("The coroutine's result", "A thread")  # blanks dropped
    assert tutor.course_for(OTHER) is tutor.course  # another server sees none of it
    pool = tutor.quiz.pool(SCHOOL, "alpha")
    assert any(q.by_teacher for q in pool) and not any(q.by_teacher for q in tutor.quiz.pool(OTHER))


async def test_semicolons_and_a_byte_order_mark_as_spreadsheets_write_them(tutor) -> None:
    text = "\ufeff" + CSV.replace(",", ";")
    done = await upload(tutor, "excel.csv", text, lesson="beta")
    assert done.questions == 2


async def test_every_problem_of_a_broken_csv_is_named_by_line(tutor) -> None:
    broken = (
        f"{HEADER}\n"
        "Fine?,yes,no,,,1,ok,easy,alpha\n"
        "Odd answer?,yes,no,,,3,ok,easy,alpha\n"
        "Bad level?,yes,no,,,yes,ok,extreme,alpha\n"
        "Lost?,yes,no,,,no,ok,easy,nowhere\n"
    )
    assert await problems_of(tutor, "lecture.csv", broken) == [
        "lecture.csv:3: answer 3 is not one of the 2 options"
    ]
    broken = broken.replace(",3,", ",1,")
    found = await problems_of(tutor, "lecture.csv", broken)
    assert found[0].startswith("lecture.csv:4: difficulty:")
    assert found[1] == "lecture.csv:5: no lesson 'nowhere' in this server's course"
    assert await tutor.content.uploads(SCHOOL) == []  # nothing saved


async def test_ankis_plain_text_export_becomes_cards(tutor) -> None:
    done = await upload(tutor, "deck.txt", TSV, lesson="alpha")
    assert done.flashcards == 1
    [card] = [c for c in tutor.course_for(SCHOOL).flashcards if c.by_teacher]
    assert (card.front, card.back) == (
        "What is a Task?",
        "A scheduled coroutine\nthat runs & reports",
    )
    assert await problems_of(tutor, "deck.txt", TSV) == [
        "deck.txt:3: which lesson? fill in the lesson column or give the lesson option"
    ]


async def test_a_lesson_file_is_checked_and_its_programs_run_in_the_sandbox(tutor) -> None:
    done = await upload(tutor, "my-lesson.yaml", LESSON)
    assert (done.lessons, done.version) == (1, 1)
    lesson = tutor.course_for(SCHOOL).lesson("my-lesson")
    assert lesson is not None and lesson.by_teacher and lesson.flashcards[0].by_teacher
    wrong = LESSON.replace('output: "hi\\n"', 'output: "hello\\n"')
    assert await problems_of(tutor, "my-lesson.yaml", wrong) == [
        "my-lesson.yaml:8: example 1 does not print its stated output: it printed hi"
    ]
    assert (await problems_of(tutor, "x.yaml", "id: [unclosed"))[0].startswith(
        "x.yaml:1: YAML syntax error"
    )


async def test_a_dry_run_saves_nothing(tutor) -> None:
    done = await upload(tutor, "lecture.csv", CSV, lesson="beta", dry_run=True)
    assert done.version is None and done.questions == 2
    assert await tutor.content.uploads(SCHOOL) == []
    assert tutor.course_for(SCHOOL) is tutor.course


async def test_limits_ids_and_formats(tutor, monkeypatch) -> None:
    assert await problems_of(tutor, "big.csv", b"x" * (MAX_UPLOAD_BYTES + 1)) == [
        f"big.csv:1: file is {MAX_UPLOAD_BYTES + 1:,} bytes; the limit is 256 KiB"
    ]
    clash = f"{HEADER},id\nQ?,a,b,,,1,x,easy,alpha,alpha-q0\n"
    assert await problems_of(tutor, "c.csv", clash) == [
        "c.csv:1: question id 'alpha-q0' is in the built-in course; pick another"
    ]
    assert (await problems_of(tutor, "notes.pdf", "x"))[0].startswith(
        "notes.pdf:1: upload a lesson"
    )
    monkeypatch.setattr(teacher_content, "MAX_SERVER_ITEMS", 2)
    await upload(tutor, "lecture.csv", CSV, lesson="beta")
    assert (await problems_of(tutor, "deck.txt", TSV, lesson="alpha"))[0].endswith(
        "the server would hold 3 items of its own; the limit is 2"
    )
    await upload(tutor, "lecture.csv", CSV, lesson="beta")  # the same ids again: replaced


async def test_removing_keeps_learners_state_and_it_comes_back(tutor) -> None:
    await upload(tutor, "deck.txt", TSV, lesson="alpha")
    ada = Learner(SCHOOL, 7, "ada")
    card = next(c for c in tutor.course_for(SCHOOL).flashcards if c.by_teacher)
    await tutor.flashcards.review(ada, card.id, Rating.Good)
    assert await tutor.content.remove(SCHOOL, "1") == 1  # version 1
    assert card.id not in {c.id for c in tutor.course_for(SCHOOL).flashcards}
    assert (await tutor.flashcards.stats(ada)).seen == 0  # hidden...
    state = await tutor.ctx.db.fetchall("SELECT card_id FROM card_states")
    assert (card.id,) in state  # ...but kept
    await upload(tutor, "deck.txt", TSV, lesson="alpha")
    assert (await tutor.flashcards.stats(ada)).seen == 1  # back, with its history
    listed = await tutor.content.uploads(SCHOOL)
    assert [(u.version, u.filename, u.items, u.live) for u in listed] == [
        (1, "deck.txt", 1, 0),
        (2, "deck.txt", 1, 1),
    ]
    assert await tutor.content.remove(SCHOOL, card.id) == 1  # or by the item's id


async def test_an_export_uploads_back_unchanged(tutor) -> None:
    await upload(tutor, "my-lesson.yaml", LESSON)
    await upload(tutor, "lecture.csv", CSV, lesson="beta")
    await upload(tutor, "deck.txt", TSV, lesson="alpha")
    exported = await tutor.content.export(SCHOOL)
    assert exported is not None
    before = tutor.course_for(SCHOOL)
    await tutor.content.upload(SCHOOL, TEACHER, "export.yaml", exported.encode())
    assert tutor.course_for(SCHOOL) == before
    assert await tutor.content.export(SCHOOL) == exported
    assert await tutor.content.export(OTHER) is None


async def test_content_uploaded_in_another_process_is_seen_after_a_refresh(
    tmp_path, tutor, clock, sandbox, database_target
) -> None:
    # Another process on the same database, started before the upload.
    shard_zero = await open_tutor(tmp_path, clock, sandbox, database=database_target)
    try:
        await upload(tutor, "lecture.csv", CSV, lesson="beta")
        assert shard_zero.course_for(SCHOOL) is shard_zero.course
        await shard_zero.content.refresh(SCHOOL)
        assert shard_zero.course_for(SCHOOL) == tutor.course_for(SCHOOL)
        await tutor.content.remove(SCHOOL, "1")
        await shard_zero.content.refresh(SCHOOL)
        assert shard_zero.course_for(SCHOOL) is shard_zero.course
    finally:
        await shard_zero.close()


async def test_a_servers_content_survives_a_restart(
    tmp_path, tutor, clock, sandbox, database_target
) -> None:
    await upload(tutor, "lecture.csv", CSV, lesson="beta")
    again = await open_tutor(tmp_path, clock, sandbox, database=database_target)
    try:
        assert again.course_for(SCHOOL) == tutor.course_for(SCHOOL)
    finally:
        await again.close()
