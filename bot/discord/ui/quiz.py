"""A private quiz question: answer buttons, feedback with the explanation, "Next question"."""

from __future__ import annotations

from dataclasses import replace

import discord

from bot.core.option_order import Shown
from bot.core.quiz import QuizOutcome
from bot.curriculum.models import Difficulty
from bot.discord.ui.actions import ActionButton, action, button, view_of
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import LETTERS, clip, question_embed
from bot.discord.ui.replies import EmbedMessage, UserFacingError
from bot.render.words import SEEN_EVERY_QUESTION, points_earned

ANY = "any"


def answer_buttons(
    shown: Shown, lesson: str, difficulty: str, outcome: QuizOutcome | None = None
) -> list[ActionButton]:
    """One button per option as shown; each carries the option's content index and the
    order shown, so a click is graded right even after a restart."""

    def style(option: int) -> discord.ButtonStyle:
        if outcome is None:
            return discord.ButtonStyle.secondary
        if option == shown.question.answer_index:
            return discord.ButtonStyle.success
        return (
            discord.ButtonStyle.danger
            if option == outcome.chosen
            else (discord.ButtonStyle.secondary)
        )

    return [
        button(LETTERS[position], "quiz-answer", shown.question.id, option, lesson, difficulty,
               shown.encoded(), "" if shown.attempt is None else shown.attempt,
               style=style(option), disabled=outcome is not None)
        for position, option in enumerate(shown.order)
    ]  # fmt: skip


def question_view(shown: Shown, lesson: str, difficulty: str) -> discord.ui.View:
    return view_of(answer_buttons(shown, lesson, difficulty))


def answered_view(outcome: QuizOutcome, lesson: str, difficulty: str) -> discord.ui.View:
    answers = answer_buttons(outcome.shown, lesson, difficulty, outcome)
    return view_of(
        answers,
        [button("Next question", "quiz-next", lesson, difficulty, "edit",
                style=discord.ButtonStyle.primary)],
    )  # fmt: skip


def feedback_embed(outcome: QuizOutcome) -> discord.Embed:
    embed = question_embed(outcome.shown, "Quiz")
    key = outcome.shown.key_position
    letter = f"{LETTERS[key]}: {clip(outcome.shown.options[key], 200)}"
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
    shown = await core.next_question(
        learner_of(interaction), None if lesson == ANY else lesson, level
    )
    if shown is None:
        raise UserFacingError("No questions match that choice of lesson and difficulty.")
    embed = question_embed(shown, "Quiz")
    if shown.seen_before:
        embed.description = f"-# {SEEN_EVERY_QUESTION}\n{embed.description}"
    return {"embed": embed, "view": question_view(shown, lesson, difficulty)}


async def ask(interaction: discord.Interaction, lesson: str, difficulty: str) -> None:
    """Send a new private question."""
    await interaction.response.send_message(
        **await question_message(interaction, lesson, difficulty), ephemeral=True
    )


@action("quiz-next", moves_its_message=True)
async def on_next(interaction: discord.Interaction, args: list[str]) -> None:
    lesson, difficulty, *mode = args
    if mode == ["edit"]:
        await interaction.response.edit_message(
            **await question_message(interaction, lesson, difficulty)
        )
    else:
        await ask(interaction, lesson, difficulty)


@action("quiz-answer", moves_its_message=True)
async def on_answer(interaction: discord.Interaction, args: list[str]) -> None:
    question_id, chosen, lesson, difficulty, *extra = args
    core = tutor_bot(interaction).tutor.quiz
    who = learner_of(interaction)
    # Buttons sent before options were shuffled carry no order: they were shown as written.
    shown = (
        core.shown(question_id, extra[0], who.guild_id)
        if extra
        else Shown.as_written(core.question(question_id, who.guild_id))
    )
    if len(extra) > 1 and extra[1]:  # answers before this showing: a double click shows
        shown = replace(shown, attempt=int(extra[1]))
    outcome = await core.answer(who, shown, int(chosen))
    await interaction.response.edit_message(
        embed=feedback_embed(outcome), view=answered_view(outcome, lesson, difficulty)
    )
