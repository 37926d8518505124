"""How a class quiz looks in a channel: one message per question, edited in place."""

from __future__ import annotations

import logging

import discord

from bot.core.class_quizzes import Interrupted
from bot.core.classquiz import ClassQuiz, Player, QuestionResult, Verdict
from bot.curriculum.models import Question
from bot.discord.ui.actions import action, button, view_of
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import COLOUR, LETTERS, clip, question_embed
from bot.render.class_quiz import ENDED_EARLY, REPLIES, ended_early_note, standings_lines

log = logging.getLogger("bot.discord")

MEDALS = ("🥇", "🥈", "🥉")
BAR_WIDTH = 12


def answer_view(quiz: ClassQuiz, result: QuestionResult | None = None) -> discord.ui.View:
    """The letters as shown; each button carries its option's content index."""
    shown = quiz.shown(quiz.index)

    def style(option: int) -> discord.ButtonStyle:
        if result is not None and option == result.question.answer_index:
            return discord.ButtonStyle.success
        return discord.ButtonStyle.primary if result is None else discord.ButtonStyle.secondary

    return view_of(
        [
            button(LETTERS[position], "cq-answer", quiz.channel_id, quiz.index, option,
                   style=style(option), disabled=result is not None)
            for position, option in enumerate(shown.order)
        ]
    )  # fmt: skip


def heading(quiz: ClassQuiz) -> str:
    return f"Class quiz · question {quiz.index + 1} of {len(quiz.questions)}"


def live_embed(quiz: ClassQuiz, remaining: int) -> discord.Embed:
    embed = question_embed(quiz.shown(quiz.index), heading(quiz))
    answered = len(quiz.answers[quiz.index])
    embed.add_field(
        name=f"⏳ {remaining} s left",
        value=f"{answered} answer{'s' if answered != 1 else ''} locked in",
        inline=False,
    )
    return embed


def result_embed(quiz: ClassQuiz, result: QuestionResult) -> discord.Embed:
    shown = quiz.shown(result.index)
    embed = question_embed(shown, heading(quiz) + " · time's up")
    total = max(result.answered, 1)
    bars = []
    for position, option in enumerate(shown.order):
        count = result.split[option]
        mark = "✅" if option == result.question.answer_index else "▫️"
        bar = "█" * round(BAR_WIDTH * count / total)
        text = clip(" ".join(shown.options[position].split()), 60)  # one line per option
        bars.append(f"{mark} **{LETTERS[position]}** {bar} {count} · {text}")
    embed.add_field(name="How the class answered", value="\n".join(bars), inline=False)
    fastest = ", ".join(f"{p.name} ({a.elapsed:.1f} s, +{a.points})" for p, a in result.fastest)
    embed.add_field(name="Fastest correct", value=fastest or "Nobody this time", inline=False)
    embed.add_field(name="Why", value=result.question.explanation, inline=False)
    return embed


def podium_embed(quiz: ClassQuiz, podium: list[Player], stopped: bool) -> discord.Embed:
    title = "Class quiz stopped: results" if stopped else "Class quiz: final podium"
    lines = [
        f"{MEDALS[i] if i < len(MEDALS) else f'{i + 1}.'} **{p.name}**: {p.points} points "
        f"({p.correct}/{len(quiz.questions)} right)"
        for i, p in enumerate(podium)
    ]
    description = clip("\n".join(lines) or "Nobody answered.", 4000, "\n…and more")
    embed = discord.Embed(title=title, description=description, colour=COLOUR)
    embed.set_footer(text="Scores are saved to everyone's /progress")
    return embed


class ChannelPresenter:
    """Shows a class quiz in a channel; the question message is edited, never reposted.

    The announcement is the reply to ``/class-quiz start``. A countdown edit that fails
    (a hiccup, a rate limit) is logged and skipped: the next tick or the results edit
    will bring the message up to date.
    """

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.channel = interaction.client.get_partial_messageable(interaction.channel_id or 0)
        self.message: discord.Message | None = None

    async def announce(self, quiz: ClassQuiz) -> None:
        await self.interaction.response.send_message(
            f"📣 **Class quiz!** {len(quiz.questions)} questions, {quiz.seconds} s each. "
            "Click a letter to answer: your first click counts, faster is worth more."
        )

    async def question_opened(self, quiz: ClassQuiz, question: Question) -> int | None:
        self.message = await self.channel.send(
            embed=live_embed(quiz, quiz.seconds), view=answer_view(quiz)
        )
        return self.message.id

    async def tick(self, quiz: ClassQuiz, remaining: int) -> None:
        if self.message is None:
            return
        try:
            await self.message.edit(embed=live_embed(quiz, remaining))
        except discord.HTTPException as exc:
            log.warning("class quiz countdown edit failed in %s: %s", quiz.channel_id, exc)

    async def question_closed(self, quiz: ClassQuiz, result: QuestionResult) -> None:
        if self.message is not None:
            await self.message.edit(
                embed=result_embed(quiz, result), view=answer_view(quiz, result)
            )

    async def finished(self, quiz: ClassQuiz, podium: list[Player], stopped: bool) -> None:
        await self.channel.send(embed=podium_embed(quiz, podium, stopped))


@action("cq-answer")
async def on_answer(interaction: discord.Interaction, args: list[str]) -> None:
    channel_id, index, option = map(int, args)
    who = learner_of(interaction)
    quizzes = tutor_bot(interaction).tutor.class_quizzes
    verdict, answer = await quizzes.answer(channel_id, who, index, option)
    quiz = quizzes.get(channel_id)
    if verdict is Verdict.accepted and quiz is not None:
        letter = LETTERS[quiz.shown(index).position_of(option)]
        text = f"🔒 Locked in: **{letter}**. Results at time-up!"
    elif verdict is Verdict.already_answered and answer is not None and quiz is not None:
        letter = LETTERS[quiz.shown(index).position_of(answer.option)]
        text = f"You already answered **{letter}**; the first answer counts."
    else:
        text = REPLIES[verdict]
    await interaction.response.send_message(text, ephemeral=True)


def ended_early_embed(quiz: Interrupted) -> discord.Embed:
    description = clip("\n".join(standings_lines(quiz)), 4000, "\n…and more")
    embed = discord.Embed(title=ENDED_EARLY, description=description, colour=COLOUR)
    embed.set_footer(text=ended_early_note(quiz))
    return embed


async def tell_ended_early(client: discord.Client, quiz: Interrupted) -> None:
    """Edit the question a crash left open: standings so far, its buttons disabled."""
    channel = client.get_partial_messageable(quiz.channel_id)
    view = view_of(
        [
            button(LETTERS[i], "cq-answer", quiz.channel_id, quiz.reached - 1, i, disabled=True)
            for i in range(quiz.options)
        ]
    )
    if quiz.message_id is None:
        await channel.send(embed=ended_early_embed(quiz))
    else:
        await channel.get_partial_message(quiz.message_id).edit(
            embed=ended_early_embed(quiz), view=view
        )
