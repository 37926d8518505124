"""A small class with a known history, for the class report's tests (any course).

Ten days ago cid reviewed one card. Yesterday ann reviewed two cards of the first lesson
and answered its first question right. Today ann reviewed a card of the second lesson
and answered the first lesson's second question wrong; ben answered the first question
wrong, then right (only first attempts count); dee answered, then used forget-me.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Learner
from bot.core.flashcards import Grade
from bot.core.option_order import Shown
from bot.core.tutor import Tutor
from bot.curriculum.models import Question
from tests.factories import FakeClock


def wrong_option(question: Question) -> int:
    return next(i for i in range(len(question.options)) if i != question.answer_index)


async def seed_class(tutor: Tutor, clock: FakeClock, guild_id: int) -> dict[str, Learner]:
    names = ("ann", "ben", "cid", "dee")
    people = {name: Learner(guild_id, 9000 + n, name) for n, name in enumerate(names)}
    first, second = tutor.course.lessons[:2]
    q0, q1 = first.questions[:2]
    today = clock.now
    clock.now = today - timedelta(days=10)
    await tutor.flashcards.review(people["cid"], first.flashcards[0].id, Grade.good)
    clock.now = today - timedelta(days=1)
    for card in first.flashcards[:2]:
        await tutor.flashcards.review(people["ann"], card.id, Grade.good)
    await tutor.quiz.answer(people["ann"], Shown.as_written(q0), q0.answer_index)
    clock.now = today
    await tutor.flashcards.review(people["ann"], second.flashcards[0].id, Grade.good)
    await tutor.quiz.answer(people["ann"], Shown.as_written(q1), wrong_option(q1))
    await tutor.quiz.answer(people["ben"], Shown.as_written(q0), wrong_option(q0))
    await tutor.quiz.answer(people["ben"], Shown.as_written(q0), q0.answer_index)
    await tutor.quiz.answer(people["dee"], Shown.as_written(q0), q0.answer_index)
    await tutor.guilds.forget(people["dee"])
    return people
