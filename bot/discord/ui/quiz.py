"""A private quiz question: answer buttons, feedback with the explanation, "Next question"."""

from __future__ import annotations

import discord

from bot.core.quiz import QuizOutcome
from bot.curriculum.models import Difficulty, Question
from bot.discord.ui.actions import action, button, view_of
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import LETTERS, question_embed
from bot.discord.ui.replies import EmbedMessage, UserFacingError
from bot.render.words import points_earned

ANY = "any"


def question_view(question: Question, lesson: str, difficulty: str) -> discord.ui.View:
    return view_of(
        [
            button(LETTERS[i], "quiz-answer", question.id, i, lesson, difficulty)
            for i in range(len(question.options))
        ]
    )


def answered_view(outcome: QuizOutcome, lesson: str, difficulty: str) -> discord.ui.View:
    def style(i: int) -> discord.ButtonStyle:
        if i == outcome.question.answer_index:
            return discord.ButtonStyle.success
        if i == outcome.chosen:
            return discord.ButtonStyle.danger
        return discord.ButtonStyle.secondary

    answers = [
        button(LETTERS[i], "quiz-answer", outcome.question.id, i, lesson, difficulty,
               style=style(i), disabled=True)
        for i in range(len(outcome.question.options))
    ]  # fmt: skip
    return view_of(
        answers,
        [button("Next question", "quiz-next", lesson, difficulty, "edit",
                style=discord.ButtonStyle.primary)],
    )  # fmt: skip


def feedback_embed(outcome: QuizOutcome) -> discord.Embed:
    embed = question_embed(outcome.question, "Quiz")
    letter = LETTERS[outcome.question.answer_index]
    if outcome.correct:
        verdict = f"✅ Correct! {points_earned(outcome.award)}"
        embed.colour = discord.Colour.green()
    else:
        verdict = f"❌ Not quite: the answer is **{letter}**"
        embed.colour = discord.Colour.red()
    embed.add_field(name=verdict, value=outcome.explanation, inline=False)
    return embed


async def question_message(
    interaction: discord.Interaction, lesson: str, difficulty: str
) -> EmbedMessage:
    core = tutor_bot(interaction).tutor.quiz
    level = None if difficulty == ANY else Difficulty(difficulty)
    question = await core.next_question(
        learner_of(interaction), None if lesson == ANY else lesson, level
    )
    if question is None:
        raise UserFacingError("No questions match that choice of lesson and difficulty.")
    return {
        "embed": question_embed(question, "Quiz"),
        "view": question_view(question, lesson, difficulty),
    }


async def ask(interaction: discord.Interaction, lesson: str, difficulty: str) -> None:
    """Send a new private question."""
    await interaction.response.send_message(
        **await question_message(interaction, lesson, difficulty), ephemeral=True
    )


@action("quiz-next")
async def on_next(interaction: discord.Interaction, args: list[str]) -> None:
    lesson, difficulty, *mode = args
    if mode == ["edit"]:
        await interaction.response.edit_message(
            **await question_message(interaction, lesson, difficulty)
        )
    else:
        await ask(interaction, lesson, difficulty)


@action("quiz-answer")
async def on_answer(interaction: discord.Interaction, args: list[str]) -> None:
    question_id, chosen, lesson, difficulty = args
    core = tutor_bot(interaction).tutor.quiz
    outcome = await core.answer(learner_of(interaction), question_id, int(chosen))
    await interaction.response.edit_message(
        embed=feedback_embed(outcome), view=answered_view(outcome, lesson, difficulty)
    )
