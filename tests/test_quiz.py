"""Solo quizzes: question choice, grading, explanations and points."""

from __future__ import annotations

import pytest

from bot.core.context import Learner
from bot.core.scoring import QUIZ_POINTS, REPEAT_POINTS
from bot.curriculum.models import Difficulty

ADA = Learner(1, 100, "ada")


async def test_unseen_questions_come_first(tutor) -> None:
    seen = set()
    for _ in range(6):
        q = await tutor.quiz.next_question(ADA)
        assert q is not None and q.id not in seen
        seen.add(q.id)
        await tutor.quiz.answer(ADA, q.id, q.answer_index)


async def test_missed_questions_come_back_before_ones_answered_right(tutor) -> None:
    pool = tutor.quiz.pool()
    for i, q in enumerate(pool):
        wrong = 1 - q.answer_index
        await tutor.quiz.answer(ADA, q.id, wrong if i == 3 else q.answer_index)
    nxt = await tutor.quiz.next_question(ADA)
    assert nxt is not None and nxt.id == pool[3].id


async def test_filter_by_lesson_and_difficulty(tutor) -> None:
    q = await tutor.quiz.next_question(ADA, lesson_id="beta", difficulty=Difficulty.hard)
    assert q is not None and (q.lesson, q.difficulty) == ("beta", Difficulty.hard)
    assert await tutor.quiz.next_question(ADA, lesson_id="nope") is None


async def test_a_correct_answer_earns_points_by_difficulty_once(tutor) -> None:
    q = tutor.quiz.question("alpha-q1")  # medium
    first = await tutor.quiz.answer(ADA, q.id, q.answer_index)
    again = await tutor.quiz.answer(ADA, q.id, q.answer_index)
    assert first.correct and first.award.points == QUIZ_POINTS[Difficulty.medium]
    assert again.award.points == REPEAT_POINTS


async def test_a_wrong_answer_gets_the_explanation_and_no_points(tutor) -> None:
    q = tutor.quiz.question("alpha-q0")
    outcome = await tutor.quiz.answer(ADA, q.id, 1)
    assert not outcome.correct
    assert outcome.award.points == 0
    assert (outcome.correct_option, outcome.explanation) == ("right", "because")


async def test_an_option_that_does_not_exist_is_refused(tutor) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        await tutor.quiz.answer(ADA, "alpha-q0", 5)
