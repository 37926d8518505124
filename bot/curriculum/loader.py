"""Load ``content/`` into a validated ``Course``, or report every problem with its line.

Layout: ``course.yaml`` (title and lesson order) and ``lessons/<id>.yaml``, one lesson
per file, holding that lesson's flashcards and quiz questions.

Loading is bounded whatever the files hold (the limits below; content/README.md lists
them): sizes are checked before a file is read, and YAML anchors, aliases, node counts
and nesting while it is parsed, before any value is built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.curriculum import display_limits as limits
from bot.curriculum.exercise_checks import check_problems
from bot.curriculum.fairness import position_reference
from bot.curriculum.models import Course, CourseIndex, Lesson, QuestionKind
from bot.curriculum.yamlpos import Bounds, Located, PathKey, Refused, parse

M = TypeVar("M", bound=BaseModel)

COURSE_FILE = "course.yaml"
LESSONS_DIR = "lessons"

# Content limits, all in one place (documented in content/README.md). The real course is
# far below each; they keep a broken or hostile file from costing minutes and gigabytes.
MAX_FILE_BYTES = 1 << 20  # course.yaml or one lesson file; larger ones are not read
MAX_COURSE_BYTES = 16 << 20  # all files together; a larger course is not read at all
MAX_LESSON_FILES = 1000
YAML_BOUNDS = Bounds(max_nodes=100_000, max_depth=64)  # per file, checked while parsing
MAX_CHECKS_BYTES = 32 * 1024  # an exercise's checks: what the sandbox's POST /grade takes


@dataclass(frozen=True, order=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The content folder is invalid; ``problems`` lists every issue found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(map(str, self.problems)))


@dataclass
class _Source:
    path: Path
    doc: Located

    def problem(self, where: PathKey, message: str) -> Problem:
        return Problem(self.path, self.doc.line_of(where), message)


def load_course(folder: Path) -> Course:
    """The validated course in ``folder``; raises ``ContentError`` listing all problems
    (only the size problems when the course is over its limits: then nothing is read)."""
    paths = sorted((folder / LESSONS_DIR).glob("*.yaml"))
    too_big = list(_check_course_size(folder / COURSE_FILE, paths))
    if too_big:
        raise ContentError(too_big)

    problems: list[Problem] = []
    index_source = _read(folder / COURSE_FILE, problems)
    index = _validate(CourseIndex, index_source, problems) if index_source else None

    lessons: dict[str, tuple[Lesson, _Source]] = {}
    # A lesson whose file exists but is broken is still "known": its own errors are
    # reported once, instead of again at every reference to it.
    known = {path.stem for path in paths}
    for path in paths:
        source = _read(path, problems)
        if source is None:
            continue
        problems.extend(_check_questions(source))
        lesson = _validate(Lesson, source, problems)
        if lesson is None:
            continue
        if lesson.id != path.stem:
            problems.append(
                source.problem(("id",), f"lesson id {lesson.id!r} must match file name")
            )
        if lesson.id in lessons:
            problems.append(source.problem(("id",), f"duplicate lesson id {lesson.id!r}"))
            continue
        problems.extend(_check_embed_totals(lesson, source))
        problems.extend(_check_example_code(lesson, source))
        problems.extend(_check_exercises(lesson, source))
        lessons[lesson.id] = (_with_lesson_ids(lesson), source)

    problems.extend(_check_unique_items(lessons.values(), "flashcards"))
    problems.extend(_check_unique_items(lessons.values(), "questions"))
    problems.extend(_check_unique_items(lessons.values(), "exercises"))
    problems.extend(_check_prerequisites(lessons, known))
    if index is not None and index_source is not None:
        problems.extend(_check_index(index, index_source, lessons, known))
    if problems or index is None:
        raise ContentError(problems)
    return Course(title=index.title, lessons=tuple(lessons[i][0] for i in index.lessons))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):g} MiB"


def _check_course_size(index: Path, lessons: list[Path]) -> Iterable[Problem]:
    """The whole course within its limits, judged from file sizes alone (nothing read)."""
    if len(lessons) > MAX_LESSON_FILES:
        yield Problem(
            index,
            1,
            f"the course has {len(lessons):,} lesson files; the limit is {MAX_LESSON_FILES:,}",
        )
    total = 0
    for path in [index, *lessons]:
        try:
            total += path.stat().st_size
        except OSError:
            pass  # reported by _read
    if total > MAX_COURSE_BYTES:
        yield Problem(
            index,
            1,
            f"the course's files total {total:,} bytes; the limit is {_mib(MAX_COURSE_BYTES)}",
        )


def _read(path: Path, problems: list[Problem]) -> _Source | None:
    too_big = f"the limit is {_mib(MAX_FILE_BYTES)}"
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(Problem(path, 1, f"file is {size:,} bytes; {too_big}"))
            return None
        with path.open("rb") as file:
            # Bounded even when the size lied (a file still growing, a device).
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(path, 1, f"cannot read file: {exc.strerror or exc}"))
        return None
    if len(data) > MAX_FILE_BYTES:
        problems.append(Problem(path, 1, f"file is over {MAX_FILE_BYTES:,} bytes; {too_big}"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(Problem(path, 1, "file is not valid UTF-8"))
        return None
    try:
        doc = parse(text, YAML_BOUNDS)
    except Refused as exc:
        problems.append(Problem(path, exc.line, exc.message))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        reason = getattr(exc, "problem", None) or str(exc)
        problems.append(Problem(path, line, f"YAML syntax error: {reason}"))
        return None
    source = _Source(path, doc)
    for key, line in doc.duplicate_keys:
        problems.append(Problem(path, line, f"duplicate key {key!r}"))
    if not isinstance(doc.value, dict):
        problems.append(Problem(path, 1, "expected a mapping at the top of the file"))
        return None
    return source


def _validate(model: type[M], source: _Source, problems: list[Problem]) -> M | None:
    try:
        return model.model_validate(source.doc.value)
    except ValidationError as exc:
        problems.extend(source.problem(err["loc"], _describe(err)) for err in exc.errors())
        return None


def _describe(err: Any) -> str:
    """A one-line message for a pydantic error, in the vocabulary of content authors."""
    loc = [str(part) for part in err["loc"]]
    where = ".".join(loc) or "file"
    kind = err["type"]
    if kind == "missing":
        return f"missing key {loc[-1]!r}"
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}"
    if kind == "string_too_long":
        limit = err["ctx"]["max_length"]
        return f"{where}: text is longer than Discord allows here ({limit} characters)"
    return f"{where}: {err['msg']}"


def _check_questions(source: _Source) -> Iterable[Problem]:
    """Cross-field rules, checked on the raw data so they are reported even when the
    lesson also has schema errors."""
    questions = source.doc.value.get("questions")
    for i, question in enumerate(questions if isinstance(questions, list) else []):
        if not isinstance(question, dict):
            continue
        at = ("questions", i)
        options = question.get("options")
        if isinstance(options, list):
            if "answer" in question and question["answer"] not in options:
                yield source.problem((*at, "answer"), "correct answer is not among the options")
            if len(set(map(str, options))) != len(options):
                yield source.problem((*at, "options"), "options must be distinct")
        if question.get("kind") == QuestionKind.predict_output and "code" not in question:
            yield source.problem(at, "a predict_output question needs 'code'")
        for field in ("prompt", "explanation"):
            words = position_reference(str(question.get(field, "")))
            if words is not None:
                yield source.problem(
                    (*at, field),
                    f"refers to an option by position ({words!r}); options are shuffled "
                    "when shown: name the option by what it says",
                )


# Room kept for what the bot adds around content (headings, verdicts, fences, footers).
EMBED_OVERHEAD = 300


def _check_embed_totals(lesson: Lesson, source: _Source) -> Iterable[Problem]:
    """Each rendered embed must stay within Discord's 6000-character total."""
    budget = limits.EMBED_TOTAL - EMBED_OVERHEAD
    concepts = len(lesson.title) + sum(
        len(c.name) + len(c.explanation) for c in lesson.key_concepts
    )
    if concepts > budget:
        yield source.problem(
            ("key_concepts",),
            f"key concepts total {concepts} characters; one Discord embed holds {budget}",
        )
    for i, ex in enumerate(lesson.examples):
        size = (
            len(lesson.title) + len(ex.title) + len(ex.code) + len(ex.output) + len(ex.explanation)
        )
        if size > budget:
            yield source.problem(
                ("examples", i),
                f"example totals {size} characters; one Discord embed holds {budget}",
            )
    for i, q in enumerate(lesson.questions):
        size = len(q.prompt) + len(q.code or "") + sum(map(len, q.options)) + len(q.explanation)
        if size > budget:
            yield source.problem(
                ("questions", i),
                f"question totals {size} characters; one Discord embed holds {budget}",
            )


def _check_example_code(lesson: Lesson, source: _Source) -> Iterable[Problem]:
    """Code shown as an example must at least be valid Python (3.11 syntax unless it
    asks for a newer one)."""
    for i, example in enumerate(lesson.examples):
        if example.python is not None:
            continue
        try:
            compile(example.code, f"<{lesson.id} example {i + 1}>", "exec")
        except SyntaxError as exc:
            yield source.problem(("examples", i, "code"), f"does not compile: {exc.msg}")


def _check_exercises(lesson: Lesson, source: _Source) -> Iterable[Problem]:
    """Every exercise's code compiles, its checks are well formed (a verify for every
    scenario), and each wrong solution names one of its checks. Lines inside code are
    counted from the key of a block scalar (``checks: |``)."""
    for i, exercise in enumerate(lesson.exercises):
        at = ("exercises", i)
        for field in ("starter", "solution"):
            yield from _compile_problems(getattr(exercise, field), source, (*at, field))
        size = len(exercise.checks.encode())
        if size > MAX_CHECKS_BYTES:
            yield source.problem((*at, "checks"), f"checks are {size:,} bytes; the limit is "
                                 f"{MAX_CHECKS_BYTES:,}")  # fmt: skip
        names, found = check_problems(exercise.checks)
        for line, message in found:
            key_line = source.doc.line_of((*at, "checks"))
            yield Problem(source.path, key_line + line, f"checks: {message}")
        for j, wrong in enumerate(exercise.wrong_solutions):
            yield from _compile_problems(wrong.code, source, (*at, "wrong_solutions", j, "code"))
            if names and wrong.fails not in names:
                yield source.problem(
                    (*at, "wrong_solutions", j, "fails"),
                    f"no check named {wrong.fails!r} (the checks are {', '.join(names)})",
                )


def _compile_problems(code: str, source: _Source, where: PathKey) -> Iterable[Problem]:
    try:
        compile(code, "solution.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = source.doc.line_of(where) + (exc.lineno or 0)
        yield Problem(source.path, line, f"{where[-1]}: does not compile: {exc.msg}")


def _with_lesson_ids(lesson: Lesson) -> Lesson:
    """Stamp the lesson id on its cards, questions and exercises so they stand alone."""
    return lesson.model_copy(
        update={
            "flashcards": tuple(
                c.model_copy(update={"lesson": lesson.id}) for c in lesson.flashcards
            ),
            "questions": tuple(
                q.model_copy(update={"lesson": lesson.id}) for q in lesson.questions
            ),
            "exercises": tuple(
                e.model_copy(update={"lesson": lesson.id}) for e in lesson.exercises
            ),
        }
    )


def _check_unique_items(lessons: Iterable[tuple[Lesson, _Source]], kind: str) -> Iterable[Problem]:
    seen: dict[str, Problem] = {}
    for lesson, source in lessons:
        for i, item in enumerate(getattr(lesson, kind)):
            here = source.problem((kind, i, "id"), "")
            first = seen.setdefault(item.id, here)
            if first is not here:
                yield Problem(
                    here.path,
                    here.line,
                    f"duplicate {kind[:-1]} id {item.id!r} (first at {first.path}:{first.line})",
                )


def _check_prerequisites(
    lessons: dict[str, tuple[Lesson, _Source]], known: set[str]
) -> Iterable[Problem]:
    for lesson, source in lessons.values():
        for i, ref in enumerate(lesson.prerequisites):
            if ref not in known:
                yield source.problem(("prerequisites", i), f"unknown lesson {ref!r}")


def _check_index(
    index: CourseIndex,
    source: _Source,
    lessons: dict[str, tuple[Lesson, _Source]],
    known: set[str],
) -> Iterable[Problem]:
    listed: set[str] = set()
    for i, ref in enumerate(index.lessons):
        if ref in listed:
            yield source.problem(("lessons", i), f"lesson {ref!r} is listed twice")
        elif ref not in known:
            yield source.problem(("lessons", i), f"unknown lesson {ref!r}")
        listed.add(ref)
    for lesson_id, (_, lesson_source) in lessons.items():
        if lesson_id not in listed:
            yield lesson_source.problem(
                ("id",), f"lesson {lesson_id!r} is not listed in course.yaml"
            )
