"""`python -m bot content check` reports every problem as `path:line: message`.

Each test breaks a known-good course in one way and asserts the exact line reported.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.curriculum import ContentError, load_course
from bot.curriculum.loader import (
    MAX_COURSE_BYTES,
    MAX_FILE_BYTES,
    MAX_LESSON_FILES,
    YAML_BOUNDS,
)

COURSE = """\
title: Test course
lessons:
  - alpha
"""

# Line numbers below are referred to by the tests; keep them stable.
LESSON = """\
id: alpha
title: Alpha
summaries:
  basic: Short.
  medium: Longer.
  detailed: Longest.
key_concepts:
  - name: Idea
    explanation: Why it matters.
examples:
  - title: Hello
    code: print("hi")
    output: "hi\\n"
    explanation: Prints hi.
memory_aid: Remember it.
glossary:
  - term: await
    definition: Waits.
flashcards:
  - id: alpha-card1
    front: Question?
    back: Answer.
questions:
  - id: alpha-q1
    prompt: Which?
    options: [one, two]
    answer: one
    explanation: Because.
    difficulty: easy
"""


def write_course(root: Path, lesson: str = LESSON, course: str = COURSE, **extra: str) -> Path:
    (root / "lessons").mkdir(parents=True, exist_ok=True)
    (root / "course.yaml").write_text(course)
    (root / "lessons" / "alpha.yaml").write_text(lesson)
    for name, text in extra.items():
        (root / "lessons" / f"{name}.yaml").write_text(text)
    return root


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_course(root)
    return [str(p) for p in caught.value.problems]


def test_a_valid_course_loads_with_lesson_ids_stamped_on_items(tmp_path: Path) -> None:
    course = load_course(write_course(tmp_path))
    assert [lesson.id for lesson in course.lessons] == ["alpha"]
    assert course.flashcards[0].lesson == "alpha"
    assert course.questions[0].lesson == "alpha"
    assert course.questions[0].answer_index == 0


def test_yaml_syntax_error_points_at_the_broken_line(tmp_path: Path) -> None:
    broken = LESSON.replace("  basic: Short.", "  basic: [unclosed")
    root = write_course(tmp_path, broken)
    (problem,) = problems_of(root)
    assert problem.startswith(f"{root}/lessons/alpha.yaml:5: YAML syntax error")


def test_unknown_key_is_reported_at_that_key(tmp_path: Path) -> None:
    broken = LESSON.replace("memory_aid: Remember it.", "memory_aid: Remember it.\ncolour: red")
    root = write_course(tmp_path, broken)
    assert problems_of(root) == [f"{root}/lessons/alpha.yaml:16: unknown key 'colour'"]


def test_missing_key_is_reported_at_its_parent(tmp_path: Path) -> None:
    broken = LESSON.replace("    back: Answer.\n", "")
    root = write_course(tmp_path, broken)
    assert problems_of(root) == [f"{root}/lessons/alpha.yaml:20: missing key 'back'"]


def test_wrong_type_is_reported_at_the_value(tmp_path: Path) -> None:
    broken = LESSON.replace("    difficulty: easy", "    difficulty: 3")
    root = write_course(tmp_path, broken)
    (problem,) = problems_of(root)
    assert problem.startswith(f"{root}/lessons/alpha.yaml:29: questions.0.difficulty:")


def test_a_list_where_text_is_expected_is_a_type_error(tmp_path: Path) -> None:
    broken = LESSON.replace("title: Alpha", "title: [Alpha]")
    root = write_course(tmp_path, broken)
    (problem,) = problems_of(root)
    assert problem.startswith(f"{root}/lessons/alpha.yaml:2: title:")


def test_duplicate_ids_across_lessons_name_both_places(tmp_path: Path) -> None:
    beta = LESSON.replace("id: alpha\n", "id: beta\n").replace("alpha-q1", "beta-q1")
    course = COURSE + "  - beta\n"
    root = write_course(tmp_path, course=course, beta=beta)
    assert problems_of(root) == [
        f"{root}/lessons/beta.yaml:20: duplicate flashcard id 'alpha-card1'"
        f" (first at {root}/lessons/alpha.yaml:20)"
    ]


def test_duplicate_mapping_keys_are_reported(tmp_path: Path) -> None:
    broken = LESSON.replace("title: Alpha", "title: Alpha\ntitle: Again")
    root = write_course(tmp_path, broken)
    assert problems_of(root) == [f"{root}/lessons/alpha.yaml:3: duplicate key 'title'"]


def test_course_referring_to_an_unknown_lesson(tmp_path: Path) -> None:
    root = write_course(tmp_path, course=COURSE + "  - gamma\n")
    assert problems_of(root) == [f"{root}/course.yaml:4: unknown lesson 'gamma'"]


def test_prerequisite_referring_to_an_unknown_lesson(tmp_path: Path) -> None:
    broken = LESSON.replace("title: Alpha", "title: Alpha\nprerequisites: [zeta]")
    root = write_course(tmp_path, broken)
    assert problems_of(root) == [f"{root}/lessons/alpha.yaml:3: unknown lesson 'zeta'"]


def test_lesson_file_not_listed_in_the_course(tmp_path: Path) -> None:
    beta = (
        LESSON.replace("id: alpha\n", "id: beta\n")
        .replace("alpha-q1", "beta-q1")
        .replace("alpha-card1", "beta-card1")
    )
    root = write_course(tmp_path, beta=beta)
    assert problems_of(root) == [
        f"{root}/lessons/beta.yaml:1: lesson 'beta' is not listed in course.yaml"
    ]


def test_correct_answer_must_be_among_the_options(tmp_path: Path) -> None:
    broken = LESSON.replace("    answer: one", "    answer: three")
    root = write_course(tmp_path, broken)
    assert problems_of(root) == [
        f"{root}/lessons/alpha.yaml:27: correct answer is not among the options"
    ]


def test_text_longer_than_a_discord_embed_allows(tmp_path: Path) -> None:
    broken = LESSON.replace("  detailed: Longest.", "  detailed: " + "x" * 4097)
    root = write_course(tmp_path, broken)
    assert problems_of(root) == [
        f"{root}/lessons/alpha.yaml:6: summaries.detailed: "
        "text is longer than Discord allows here (4096 characters)"
    ]


def test_predict_output_question_needs_code(tmp_path: Path) -> None:
    broken = LESSON.replace("    prompt: Which?", "    kind: predict_output\n    prompt: Which?")
    root = write_course(tmp_path, broken)
    assert problems_of(root) == [
        f"{root}/lessons/alpha.yaml:24: a predict_output question needs 'code'"
    ]


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    broken = LESSON.replace("    answer: one", "    answer: three").replace(
        "memory_aid: Remember it.", "memory_aid: Remember it.\ncolour: red"
    )
    root = write_course(tmp_path, broken, course=COURSE + "  - gamma\n")
    assert len(problems_of(root)) == 3


def test_cli_prints_counts_and_exits_zero(tmp_path: Path, capsys) -> None:
    root = write_course(tmp_path)
    assert main(["content", "check", str(root)]) == 0
    out = capsys.readouterr().out
    assert "lessons: 1" in out
    assert "flashcards: 1" in out
    assert "questions: 1" in out
    assert "predict-the-output questions: 0" in out


def test_cli_prints_problems_and_exits_one(tmp_path: Path, capsys, monkeypatch) -> None:
    root = write_course(tmp_path, LESSON.replace("    answer: one", "    answer: three"))
    monkeypatch.setenv("TUTOR_CONTENT", str(root))
    assert main(["content", "check"]) == 1
    out = capsys.readouterr().out
    assert out == f"{root}/lessons/alpha.yaml:27: correct answer is not among the options\n"


def test_the_repository_course_is_valid(course) -> None:
    assert len(course.lessons) >= 10


def test_a_question_too_big_for_one_embed_in_total(tmp_path: Path) -> None:
    long = "y" * 1000
    options = ", ".join(f"{c}{long}" for c in "abcde")
    broken = (
        LESSON.replace("    options: [one, two]", f"    options: [{options}]")
        .replace("    answer: one", f"    answer: a{long}")
        .replace("    prompt: Which?", "    prompt: Which?\n    code: " + "z" * 2000)
    )
    root = write_course(tmp_path, broken)
    (problem,) = problems_of(root)
    assert problem.startswith(f"{root}/lessons/alpha.yaml:24: question totals 7")


# Content limits: whatever a file holds, loading it stays cheap (content/README.md).

# "Billion laughs": each line refers nine times to the one before; building plain values
# from it would make 9**9 strings (gigabytes, a minute of CPU) out of a few hundred bytes.
ALIAS_BOMB = """\
id: alpha
title: Alpha
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

# Loads a course in a child process whose address space is capped, so that a loader
# without the check fails with MemoryError instead of taking gigabytes from the suite.
CAPPED_LOAD = textwrap.dedent(
    """\
    import resource, sys
    from pathlib import Path

    cap = 512 << 20
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard if hard != resource.RLIM_INFINITY else cap))
    from bot.curriculum import ContentError, load_course

    try:
        load_course(Path(sys.argv[1]))
    except ContentError as exc:
        print(*exc.problems, sep="\\n")
    """
)


def test_an_alias_bomb_is_refused_before_anything_is_expanded(tmp_path: Path) -> None:
    root = write_course(tmp_path, ALIAS_BOMB)
    assert len(ALIAS_BOMB.encode()) < 400
    done = subprocess.run(
        [sys.executable, "-c", CAPPED_LOAD, str(root)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{root}/lessons/alpha.yaml:3: YAML anchors and aliases are not allowed\n"


def test_a_single_harmless_alias_is_refused_too(tmp_path: Path) -> None:
    aliased = LESSON.replace("  medium: Longer.", "  medium: &same Longer.").replace(
        "  detailed: Longest.", "  detailed: *same"
    )
    root = write_course(tmp_path, aliased)
    # The first of them is reported; the file is not read further.
    assert problems_of(root) == [
        f"{root}/lessons/alpha.yaml:5: YAML anchors and aliases are not allowed"
    ]


def test_an_alias_alone_is_refused_at_its_line(tmp_path: Path) -> None:
    root = write_course(tmp_path, course=COURSE.replace("  - alpha", "  - *alpha"))
    assert problems_of(root) == [f"{root}/course.yaml:3: YAML anchors and aliases are not allowed"]


def test_ampersands_and_asterisks_inside_text_are_just_text(tmp_path: Path) -> None:
    texty = LESSON.replace("memory_aid: Remember it.", "memory_aid: '*args & **kwargs &x *y'")
    course = load_course(write_course(tmp_path, texty))
    assert course.lessons[0].memory_aid == "*args & **kwargs &x *y"


def test_a_file_over_one_mib_is_refused_without_parsing_it(tmp_path: Path) -> None:
    # Broken YAML and an alias: parsing it would report those instead.
    huge = "title: [unclosed *x\n" + "#" * MAX_FILE_BYTES
    root = write_course(tmp_path, huge)
    size = len(huge)
    assert problems_of(root) == [
        f"{root}/lessons/alpha.yaml:1: file is {size:,} bytes; the limit is 1 MiB"
    ]


def test_a_file_of_exactly_one_mib_is_allowed(tmp_path: Path) -> None:
    padding = "#" * (MAX_FILE_BYTES - len(LESSON) - 1) + "\n"
    root = write_course(tmp_path, LESSON + padding)
    assert (root / "lessons" / "alpha.yaml").stat().st_size == MAX_FILE_BYTES
    assert [lesson.id for lesson in load_course(root).lessons] == ["alpha"]


def test_a_course_over_the_total_size_is_refused_before_any_file_is_read(
    tmp_path: Path,
) -> None:
    root = write_course(tmp_path)
    extra = MAX_COURSE_BYTES // MAX_FILE_BYTES
    for i in range(extra):
        # Sparse files: full size on paper, no disk used; never read.
        with (root / "lessons" / f"padding{i}.yaml").open("wb") as file:
            file.truncate(MAX_FILE_BYTES)
    total = len(COURSE) + len(LESSON) + extra * MAX_FILE_BYTES
    assert total > MAX_COURSE_BYTES == 16 << 20
    assert problems_of(root) == [
        f"{root}/course.yaml:1: the course's files total {total:,} bytes; the limit is 16 MiB"
    ]


def test_a_course_with_too_many_lesson_files_is_refused(tmp_path: Path) -> None:
    root = write_course(tmp_path)
    for i in range(MAX_LESSON_FILES):
        (root / "lessons" / f"empty{i}.yaml").touch()
    count = f"{MAX_LESSON_FILES + 1:,}"
    assert problems_of(root) == [
        f"{root}/course.yaml:1: the course has {count} lesson files;"
        f" the limit is {MAX_LESSON_FILES:,}"
    ]


def test_a_file_with_too_many_yaml_nodes_is_refused_at_the_line_that_crossed(
    tmp_path: Path,
) -> None:
    assert YAML_BOUNDS.max_nodes == 100_000
    # The list on line 3 alone holds the limit's worth of items, so it crosses it there.
    items = ",".join(["x"] * YAML_BOUNDS.max_nodes)
    crowded = LESSON.replace("title: Alpha\n", f"title: Alpha\nmany: [{items}]\n")
    assert len(crowded) < MAX_FILE_BYTES
    root = write_course(tmp_path, crowded)
    assert problems_of(root) == [
        f"{root}/lessons/alpha.yaml:3: file has over 100,000 YAML nodes; the limit is 100,000"
    ]


def test_yaml_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    depth = 100_000  # deeper than Python's recursion limit, were nesting not bounded
    nested = LESSON.replace("title: Alpha\n", f"title: Alpha\ndeep: {'[' * depth}{']' * depth}\n")
    root = write_course(tmp_path, nested)
    limit = YAML_BOUNDS.max_depth
    assert problems_of(root) == [
        f"{root}/lessons/alpha.yaml:3: YAML nested over {limit} levels deep; the limit is {limit}"
    ]


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("explanation", "The second option is right."),
        ("explanation", "Option B waits; the others do not."),
        ("prompt", "Is the last one true?"),
        ("explanation", "A) runs first."),
    ],
)
def test_text_that_points_at_an_option_by_position_is_refused(
    tmp_path: Path, field: str, text: str
) -> None:
    line = {"prompt": 25, "explanation": 28}[field]
    original = {"prompt": "Which?", "explanation": "Because."}[field]
    lesson = LESSON.replace(f"{field}: {original}", f"{field}: {text}")
    [problem] = problems_of(write_course(tmp_path, lesson))
    assert problem.startswith(f"{tmp_path}/lessons/alpha.yaml:{line}: refers to an option by")


def test_naming_options_by_what_they_say_is_fine(tmp_path: Path) -> None:
    lesson = LESSON.replace("explanation: Because.", "explanation: The first task ends first.")
    assert load_course(write_course(tmp_path, lesson)).questions


def test_content_check_refuses_a_course_whose_keys_stand_out_by_length(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    telling = LESSON.replace("options: [one, two]", "options: [one more, two]").replace(
        "answer: one", "answer: one more"
    )
    assert main(["content", "check", str(write_course(tmp_path, telling))]) == 1
    out = capsys.readouterr()
    assert "key is strictly the longest option: 1 of 1 (100%; at most 35%)" in out.out
    assert "length gives answers away" in out.err
    assert main(["content", "check", str(write_course(tmp_path, LESSON))]) == 0
