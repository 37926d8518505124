"""Every lesson, card and question of the real course renders within Discord's limits."""

from __future__ import annotations

from bot.core.option_order import Shown
from bot.core.quiz import QuizOutcome
from bot.core.scoring import Award, Streak
from bot.curriculum.models import Level
from bot.discord.ui import embeds
from bot.discord.ui.flashcards import back_view, card_embed
from bot.discord.ui.quiz import answered_view, feedback_embed, question_view
from tests.fake_discord.limits import message_problems


def body(embed, view=None) -> dict:
    data: dict = {"embeds": [embed.to_dict()]}
    if view is not None:
        data["components"] = view.to_components()
    return data


def test_every_lesson_part_fits_one_message(course) -> None:
    total = len(course.lessons)
    for position, lesson in enumerate(course.lessons, 1):
        rendered = [embeds.lesson_embed(lesson, position, total, level) for level in Level]
        rendered += [embeds.concepts_embed(lesson), embeds.memory_aid_embed(lesson)]
        rendered += [embeds.example_embed(lesson, example) for example in lesson.examples]
        for embed in rendered:
            assert message_problems(body(embed)) == [], (lesson.id, embed.title)


def test_every_flashcard_fits_with_its_buttons(course) -> None:
    for card in course.flashcards:
        embed = card_embed(card, is_new=True, done=99, back=True)
        view = back_view(card, card.lesson, "123456789012345678", 99)
        assert message_problems(body(embed, view)) == [], card.id


def test_every_question_fits_with_its_buttons_and_feedback(course) -> None:
    for question in course.questions:
        order = tuple(reversed(range(len(question.options))))  # custom ids carry the order
        shown = Shown(question, order)
        wrong = next(i for i in order if i != question.answer_index)
        outcome = QuizOutcome(shown, wrong, False, Award(0, 0, Streak()))
        asked = body(embeds.question_embed(shown, "Quiz"), question_view(shown, "any", "medium"))
        answered = body(feedback_embed(outcome), answered_view(outcome, question.lesson, "hard"))
        assert message_problems(asked) == [] and message_problems(answered) == [], question.id
