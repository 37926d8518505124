"""Item analysis from first attempts: which questions a teacher should look at.

Thirty learners of rising ability answer a small course whose questions are built to
trip each flag once; a question with fewer than twenty first attempts is never flagged.
"""

from __future__ import annotations

import asyncio

from bot.core.context import Learner
from bot.core.item_analysis import MIN_ANSWERS
from bot.core.option_order import Shown
from bot.core.tutor import Tutor
from tests.cli import run_bot
from tests.conftest import both_engines
from tests.factories import make_course

pytestmark = both_engines

LEARNERS = 30
GUILD = 5


def choice(question: str, ability: int) -> int:
    """The option (content index; 0 is the key) learner ``ability`` picks."""
    if question == "alpha-q0":  # everyone knows it
        return 0
    if question == "alpha-q1":  # a tempting distractor: only the strongest resist it
        return 0 if ability >= 25 else 1
    if question == "alpha-q2":  # miskeyed: the weaker half "gets it right"
        return 0 if ability < 15 else 2
    if question == "beta-q0":  # odd, but only ten answers
        return 3
    return 0 if ability >= 10 else 1 + ability % 3  # a good question


async def answer_everything(tutor: Tutor) -> None:
    tutor.ctx.courses.swap(make_course("alpha", "beta", questions=6, options=4))
    for ability in range(LEARNERS):
        who = Learner(GUILD, 1000 + ability, f"s{ability}")
        for question in tutor.course.questions:
            if question.lesson == "beta" and (question.id != "beta-q0" or ability >= 10):
                continue
            shown = Shown(question, (3, 1, 0, 2))
            await tutor.quiz.answer(who, shown, choice(question.id, ability))
            await tutor.quiz.answer(who, shown, 0)  # second attempts never count


async def test_each_flag_is_raised_by_the_question_built_for_it(tutor) -> None:
    await answer_everything(tutor)
    reports = {r.question.id: r for r in await tutor.items.report(GUILD)}
    assert {qid: r.flags for qid, r in reports.items() if r.flags} == {
        "alpha-q0": ["too easy: 100% right"],
        "alpha-q1": [
            "distractor 'wrong' chosen more often than the key (25 vs 5)",
            "too hard: 17% right",
        ],
        "alpha-q2": [
            "negative discrimination (-0.74): students who do well elsewhere miss it more"
        ],
    }
    good = reports["alpha-q3"]
    assert (good.answers, round(good.correct, 2), good.chosen) == (30, 0.67, (20, 4, 3, 3))
    assert good.discrimination is not None and good.discrimination > 0.5
    assert reports["beta-q0"].answers == 10  # too few to judge


async def test_answers_given_before_options_were_shuffled_are_left_out(tutor) -> None:
    await answer_everything(tutor)
    await tutor.ctx.db.fetchall(
        "INSERT INTO learners (guild_id, user_id, display_name, created_at) VALUES (?, ?, ?, 0)",
        (GUILD, 99, "old"),
    )
    await tutor.ctx.db.fetchall(
        "INSERT INTO quiz_answers (guild_id, user_id, question_id, lesson_id, correct,"
        " answered_at, points, source) VALUES (?, 99, 'alpha-q3', 'alpha', 1, 0, 10, 'solo')",
        (GUILD,),
    )
    await tutor.quiz.answer(
        Learner(GUILD, 99, "old"), Shown.as_written(tutor.quiz.question("alpha-q3", 0)), 1
    )
    reports = {r.question.id: r for r in await tutor.items.report(GUILD)}
    assert reports["alpha-q3"].answers == 30
    assert await tutor.items.report(GUILD + 1) == []


async def test_content_stats_prints_the_questions_to_review(tmp_path, course, clock) -> None:
    db = tmp_path / "t.sqlite3"
    seeded = await Tutor.open(db, course, clock)
    question = seeded.quiz.question("tasks-q1", 0)
    for n in range(MIN_ANSWERS):
        shown = Shown.as_written(question)
        await seeded.quiz.answer(Learner(7, n, f"s{n}"), shown, question.answer_index)
    await seeded.close()
    done = await asyncio.to_thread(run_bot, ["content", "stats", "--guild", "7"], db)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "1 questions answered; 1 with >= 20 first attempts; 1 to review\n"
        "tasks-q1 (tasks): 20 first attempts, 100% right, discrimination n/a\n"
        "  - too easy: 100% right\n"
    )
