"""A teacher's own content, as uploaded: a lesson file in the course format, a CSV of
questions as spreadsheets write it, or flashcards as Anki exports them (front<TAB>back).

Every upload becomes a ``Bundle`` (lessons, questions, flashcards), validated exactly like
the built-in course, with every problem as ``file:line: message``. What the bundle's
programs print is checked later, in the sandbox (``programs``). ``Bundle.to_yaml`` is the
export: a file that uploads back unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.curriculum.loader import (
    YAML_BOUNDS,
    ContentError,
    Problem,
    _check_embed_totals,
    _check_example_code,
    _check_questions,
    _describe,
    _Source,
    _with_lesson_ids,
)
from bot.curriculum.models import Course, Flashcard, Lesson, Question, QuestionKind
from bot.curriculum.yamlpos import Located, PathKey, Refused, parse

MAX_UPLOAD_BYTES = 256 * 1024
MAX_UPLOAD_ITEMS = 500
CSV_COLUMNS = (
    "prompt", "option1", "option2", "option3", "option4", "answer", "explanation",
    "difficulty", "lesson",
)  # fmt: skip
BUNDLE_KEYS = ("lessons", "questions", "flashcards")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Program:
    """Code whose output the content states: checked by running it in the sandbox."""

    code: str
    expected: str
    where: Problem  # the line to point at, with what to say if the output differs


@dataclass(frozen=True)
class Bundle:
    lessons: tuple[Lesson, ...] = ()
    questions: tuple[Question, ...] = ()
    flashcards: tuple[Flashcard, ...] = ()

    @property
    def items(self) -> int:
        """What counts against the upload and server limits: every lesson, card, question."""
        inside = sum(1 + len(x.flashcards) + len(x.questions) for x in self.lessons)
        return inside + len(self.questions) + len(self.flashcards)

    def ids(self) -> list[tuple[str, str]]:
        """(kind, id) of everything in it, the lessons' own cards and questions included."""
        found = [("lesson", x.id) for x in self.lessons]
        for lesson in self.lessons:
            found += [("flashcard", c.id) for c in lesson.flashcards]
            found += [("question", q.id) for q in lesson.questions]
        found += [("question", q.id) for q in self.questions]
        found += [("flashcard", c.id) for c in self.flashcards]
        return found

    def to_yaml(self) -> str:
        document = {
            "lessons": [_plain(x) for x in self.lessons],
            "questions": [_plain(q) for q in self.questions],
            "flashcards": [_plain(c) for c in self.flashcards],
        }
        kept = {key: value for key, value in document.items() if value}
        return yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, width=1000)


@dataclass(frozen=True)
class Parsed:
    bundle: Bundle
    programs: tuple[Program, ...]


def parse_upload(
    filename: str, data: bytes, known_lessons: set[str], lesson: str | None = None
) -> Parsed:
    """The upload as a bundle, or ``ContentError`` with every problem. ``known_lessons``
    are the lessons questions and cards may join; ``lesson`` is the default for rows that
    name none (and where the TSV's cards go)."""
    path = Path(filename or "upload")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ContentError([Problem(path, 1, f"file is {len(data):,} bytes; the limit is 256 KiB")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError([Problem(path, 1, "file is not valid UTF-8 text")]) from None
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        source = _yaml_source(path, text)
    elif suffix == ".csv":
        source = _csv_source(path, text, lesson)
    elif suffix in (".tsv", ".txt"):
        source = _tsv_source(path, text, lesson)
    else:
        raise ContentError(
            [
                Problem(
                    path, 1, "upload a lesson (.yaml), questions (.csv) or flashcards (.tsv/.txt)"
                )
            ]
        )
    return _validate_bundle(source, known_lessons)


def _yaml_source(path: Path, text: str) -> _Source:
    try:
        doc = parse(text, YAML_BOUNDS)
    except Refused as exc:
        raise ContentError([Problem(path, exc.line, exc.message)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark else 1
        raise ContentError([Problem(path, line, f"YAML syntax error: {reason}")]) from None
    problems = [Problem(path, line, f"duplicate key {key!r}") for key, line in doc.duplicate_keys]
    if problems:
        raise ContentError(problems)
    if not isinstance(doc.value, dict):
        raise ContentError([Problem(path, 1, "expected a mapping at the top of the file")])
    if "summaries" in doc.value:  # one lesson, in the course's format
        lines = {("lessons", 0, *key): line for key, line in doc.lines.items()}
        return _Source(path, Located({"lessons": [doc.value]}, lines))
    if unknown := sorted(set(doc.value) - set(BUNDLE_KEYS)):
        raise ContentError(
            [Problem(path, doc.line_of((unknown[0],)),
                     f"unknown key {unknown[0]!r}: a lesson file, or lessons/questions/flashcards")]
        )  # fmt: skip
    return _Source(path, doc)


def _csv_source(path: Path, text: str, lesson: str | None) -> _Source:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in CSV_COLUMNS if name not in header]
    unknown = [name for name in header if name not in (*CSV_COLUMNS, "id")]
    if missing or unknown:
        said = f"missing column(s) {', '.join(missing)}" if missing else ""
        said += ("; " if said else "") + (
            f"unknown column(s) {', '.join(unknown)}" if unknown else ""
        )
        raise ContentError(
            [Problem(path, 1, f"{said}; the header is {','.join(CSV_COLUMNS)}[,id]")]
        )
    questions: list[dict[str, Any]] = []
    lines: dict[PathKey, int] = {}
    problems: list[Problem] = []
    start = 2
    for row in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        options = [cells.get(f"option{n}", "") for n in range(1, 5)]
        options = [o for o in options if o]
        answer = cells.get("answer", "")
        if answer.isdigit():
            number = int(answer)
            if not 1 <= number <= len(options):
                problems.append(
                    Problem(path, line, f"answer {number} is not one of the {len(options)} options")
                )
                continue
            answer = options[number - 1]
        key = ("questions", len(questions))
        for field in ("prompt", "answer", "explanation", "difficulty", "lesson"):
            lines[(*key, field)] = line
        lines[key] = lines[(*key, "options")] = line
        questions.append({
            "id": cells.get("id") or derived_id(cells.get("prompt", "")),
            "prompt": cells.get("prompt", ""),
            "options": options,
            "answer": answer,
            "explanation": cells.get("explanation", ""),
            "difficulty": cells.get("difficulty", "").lower(),
            "lesson": cells.get("lesson") or lesson or "",
        })  # fmt: skip
    if problems:
        raise ContentError(problems)
    return _Source(path, Located({"questions": questions}, lines))


def _tsv_source(path: Path, text: str, lesson: str | None) -> _Source:
    cards: list[dict[str, Any]] = []
    lines: dict[PathKey, int] = {}
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):  # Anki's header lines start with #
            continue
        fields = raw.split("\t")
        if len(fields) < 2:
            problems.append(Problem(path, number, "expected front<TAB>back"))
            continue
        front, back = as_text(fields[0]), as_text(fields[1])
        key = ("flashcards", len(cards))
        lines[key] = lines[(*key, "front")] = lines[(*key, "back")] = number
        lines[(*key, "lesson")] = number
        cards.append(
            {"id": derived_id(front), "front": front, "back": back, "lesson": lesson or ""}
        )
    if problems:
        raise ContentError(problems)
    return _Source(path, Located({"flashcards": cards}, lines))


def _validate_bundle(source: _Source, known_lessons: set[str]) -> Parsed:
    problems: list[Problem] = []
    value = source.doc.value
    lessons: list[Lesson] = []
    programs: list[Program] = []
    for i, raw in enumerate(_list(value, "lessons", source, problems)):
        sub = _sub_source(source, ("lessons", i), raw)
        problems.extend(_check_questions(sub))
        lesson = _model(Lesson, sub, (), problems)
        if lesson is None:
            continue
        if lesson.exercises:
            problems.append(sub.problem(("exercises",), "exercises cannot be uploaded yet"))
        problems.extend(_check_embed_totals(lesson, sub))
        problems.extend(_check_example_code(lesson, sub))
        programs += _lesson_programs(lesson, sub)
        lessons.append(_with_lesson_ids(lesson))
    joinable = known_lessons | {x.id for x in lessons}
    problems.extend(_check_questions(source))
    questions = [
        q for i, raw in enumerate(_list(value, "questions", source, problems))
        if (q := _joined(Question, source, ("questions", i), raw, joinable, problems))
    ]  # fmt: skip
    cards = [
        c for i, raw in enumerate(_list(value, "flashcards", source, problems))
        if (c := _joined(Flashcard, source, ("flashcards", i), raw, joinable, problems))
    ]  # fmt: skip
    programs += [_question_program(q, source, ("questions", i)) for i, q in enumerate(questions)
                 if q.kind is QuestionKind.predict_output and q.code]  # fmt: skip
    bundle = Bundle(tuple(lessons), tuple(questions), tuple(cards))
    problems.extend(_duplicates(bundle, source))
    if not problems and bundle.items == 0:
        problems.append(Problem(source.path, 1, "the file holds no lessons, questions or cards"))
    if not problems and bundle.items > MAX_UPLOAD_ITEMS:
        problems.append(
            Problem(
                source.path, 1, f"{bundle.items} items; an upload holds at most {MAX_UPLOAD_ITEMS}"
            )
        )
    if problems:
        raise ContentError(problems)
    return Parsed(bundle, tuple(programs))


def _list(
    value: Mapping[str, Any], key: str, source: _Source, problems: list[Problem]
) -> list[Any]:
    found = value.get(key)
    if found is None:
        return []
    if not isinstance(found, list):
        problems.append(source.problem((key,), f"{key} must be a list"))
        return []
    return found


def _sub_source(source: _Source, prefix: PathKey, raw: Any) -> _Source:
    n = len(prefix)
    lines = {key[n:]: line for key, line in source.doc.lines.items() if key[:n] == prefix}
    lines.setdefault((), source.doc.line_of(prefix))
    return _Source(source.path, Located(raw, lines))


def _model(model: type[M], source: _Source, at: PathKey, problems: list[Problem]) -> M | None:
    raw: Any = source.doc.value
    for part in at:
        raw = raw[part]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(source.problem((*at, *err["loc"]), _describe(err)) for err in exc.errors())
        return None


def _joined(
    model: type[M],
    source: _Source,
    at: PathKey,
    raw: Any,
    joinable: set[str],
    problems: list[Problem],
) -> M | None:
    """A question or card that joins a lesson: it must name one that exists."""
    lesson = raw.get("lesson") if isinstance(raw, dict) else None
    if not lesson:
        problems.append(
            source.problem(
                (*at, "lesson"), "which lesson? fill in the lesson column or give the lesson option"
            )
        )
        return None
    if lesson not in joinable:
        problems.append(
            source.problem((*at, "lesson"), f"no lesson {lesson!r} in this server's course")
        )
        return None
    return _model(model, source, at, problems)


def _lesson_programs(lesson: Lesson, source: _Source) -> Iterable[Program]:
    for i, example in enumerate(lesson.examples):
        if example.runnable:
            at = source.problem(
                ("examples", i, "output"), f"example {i + 1} does not print its stated output"
            )
            yield Program(example.code, example.output, at)
    for i, question in enumerate(lesson.questions):
        if question.kind is QuestionKind.predict_output and question.code:
            yield _question_program(question, source, ("questions", i))


def _question_program(question: Question, source: _Source, at: PathKey) -> Program:
    problem = source.problem(
        (*at, "answer"), f"question {question.id}: the code does not print the answer"
    )
    return Program(question.code or "", question.answer, problem)


def _duplicates(bundle: Bundle, source: _Source) -> Iterable[Problem]:
    seen: set[tuple[str, str]] = set()
    for kind, item_id in bundle.ids():
        if (kind, item_id) in seen:
            yield Problem(source.path, 1, f"{kind} id {item_id!r} appears twice in this file")
        seen.add((kind, item_id))


def derived_id(text: str) -> str:
    """A stable id from a prompt or a card's front, for rows that bring none."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:30].strip("-")
    digest = hashlib.sha1(text.encode()).hexdigest()[:6]
    return f"{words}-{digest}" if words else f"item-{digest}"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "div", "p", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def as_text(field: str) -> str:
    """Anki's HTML as plain text: tags dropped, line breaks kept, entities decoded."""
    parser = _Text()
    parser.feed(field)
    parser.close()
    text = html.unescape("".join(parser.parts))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _plain(model: BaseModel) -> Any:
    return _without_markers(model.model_dump(mode="json", exclude_defaults=True))


def _without_markers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_markers(v) for k, v in value.items() if k != "by_teacher"}
    if isinstance(value, list):
        return [_without_markers(v) for v in value]
    return value


def with_teacher_content(course: Course, bundle: Bundle) -> Course:
    """The built-in course with a server's own content: its questions and cards join their
    lessons, its lessons come last; everything of it is marked ``by_teacher``. Items whose
    lesson left the course are left out (kept in the database, back if it returns)."""
    mine = {"by_teacher": True}
    lessons = [*course.lessons, *(_mark_lesson(x) for x in bundle.lessons)]
    joined = []
    for lesson in lessons:
        questions = [q.model_copy(update=mine) for q in bundle.questions if q.lesson == lesson.id]
        cards = [c.model_copy(update=mine) for c in bundle.flashcards if c.lesson == lesson.id]
        if questions or cards:
            lesson = lesson.model_copy(
                update={
                    "questions": (*lesson.questions, *questions),
                    "flashcards": (*lesson.flashcards, *cards),
                }
            )
        joined.append(lesson)
    return Course(title=course.title, lessons=tuple(joined))


def _mark_lesson(lesson: Lesson) -> Lesson:
    mine = {"by_teacher": True}
    return lesson.model_copy(
        update={
            **mine,
            "questions": tuple(q.model_copy(update=mine) for q in lesson.questions),
            "flashcards": tuple(c.model_copy(update=mine) for c in lesson.flashcards),
        }
    )
