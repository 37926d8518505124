"""Solo quizzes: question choice, grading, explanations and points."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.core.context import Learner
from bot.core.option_order import Shown
from bot.core.scoring import QUIZ_POINTS, REPEAT_POINTS
from bot.curriculum.models import Difficulty
from tests.conftest import both_engines
from tests.factories import make_course

pytestmark = both_engines

ADA = Learner(1, 100, "ada")


as_written = Shown.as_written


async def test_unseen_questions_come_first(tutor) -> None:
    seen = set()
    for _ in range(6):
        shown = await tutor.quiz.next_question(ADA)
        assert shown is not None and shown.question.id not in seen and not shown.seen_before
        seen.add(shown.question.id)
        await tutor.quiz.answer(ADA, shown, shown.question.answer_index)


async def test_missed_questions_come_back_before_ones_answered_right(tutor) -> None:
    pool = tutor.quiz.pool(0)
    for i, q in enumerate(pool):
        wrong = 1 - q.answer_index
        await tutor.quiz.answer(ADA, as_written(q), wrong if i == 3 else q.answer_index)
    nxt = await tutor.quiz.next_question(ADA)
    assert nxt is not None and nxt.question.id == pool[3].id
    assert nxt.seen_before  # every question was answered: the learner is told it repeats


async def test_filter_by_lesson_and_difficulty(tutor) -> None:
    shown = await tutor.quiz.next_question(ADA, lesson_id="beta", difficulty=Difficulty.hard)
    assert shown is not None
    assert (shown.question.lesson, shown.question.difficulty) == ("beta", Difficulty.hard)
    assert await tutor.quiz.next_question(ADA, lesson_id="nope") is None


async def test_a_correct_answer_earns_points_by_difficulty_once(tutor) -> None:
    q = tutor.quiz.question("alpha-q1", 0)  # medium
    first = await tutor.quiz.answer(ADA, as_written(q), q.answer_index)
    again = await tutor.quiz.answer(ADA, as_written(q), q.answer_index)
    assert first.correct and first.award.points == QUIZ_POINTS[Difficulty.medium]
    assert again.award.points == REPEAT_POINTS


async def test_a_wrong_answer_gets_the_explanation_and_no_points(tutor) -> None:
    q = tutor.quiz.question("alpha-q0", 0)
    outcome = await tutor.quiz.answer(ADA, as_written(q), 1)
    assert not outcome.correct
    assert outcome.award.points == 0
    assert (outcome.correct_option, outcome.explanation) == ("right", "because")


async def test_an_option_that_does_not_exist_is_refused(tutor) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        await tutor.quiz.answer(ADA, as_written(tutor.quiz.question("alpha-q0", 0)), 5)


async def test_options_come_in_a_fresh_order_so_no_position_gives_the_key_away(tutor) -> None:
    tutor.ctx.courses.swap(make_course("alpha", "beta", questions=3, options=4))
    positions = Counter()
    for _ in range(200):
        shown = await tutor.quiz.next_question(ADA)
        assert shown is not None and sorted(shown.order) == [0, 1, 2, 3]
        positions[shown.key_position] += 1
    assert max(positions.values()) <= 0.35 * 200, positions


async def test_an_answer_records_the_option_chosen_and_the_order_shown(tutor) -> None:
    q = tutor.quiz.question("alpha-q0", 0)
    shown = tutor.quiz.shown(q.id, "10", 0)
    outcome = await tutor.quiz.answer(ADA, shown, q.answer_index)
    assert outcome.correct and outcome.shown.key_position == 1
    rows = await tutor.ctx.db.fetchall("SELECT chosen, shown_order FROM quiz_answers")
    assert rows == [(0, "1,0")]


def test_a_button_cannot_carry_an_order_that_is_not_one(tutor) -> None:
    for bad in ("00", "012", "2"):
        with pytest.raises(ValueError, match="is not an order"):
            tutor.quiz.shown("alpha-q0", bad, 0)
