"""A private flashcard review: front, "Show answer", Again/Hard/Good/Easy, Undo, summary.

Every button carries the session's lesson filter, the guild whose progress it is (so a
DM prompt can run a guild's review) and how many cards were rated so far.
"""

from __future__ import annotations

import discord

from bot.core.flashcards import DueCard, Grade
from bot.curriculum.models import Flashcard
from bot.discord.ui.actions import action, button, view_of
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import COLOUR
from bot.discord.ui.replies import EmbedMessage

GRADE_STYLES = {
    Grade.again: discord.ButtonStyle.danger,
    Grade.hard: discord.ButtonStyle.secondary,
    Grade.good: discord.ButtonStyle.primary,
    Grade.easy: discord.ButtonStyle.success,
}


def _guild(args_guild: str) -> int | None:
    return int(args_guild) if args_guild else None


def card_embed(card: Flashcard, is_new: bool, done: int, back: bool) -> discord.Embed:
    embed = discord.Embed(title=f"Flashcard · {card.lesson}", description=card.front, colour=COLOUR)
    if back:
        embed.add_field(name="Answer", value=card.back, inline=False)
        embed.add_field(
            name="How well did you know it?", value="Be honest: it tunes your schedule."
        )
    kind = "new card" if is_new else "review"
    mine = " · from your teacher" if card.by_teacher else ""
    embed.set_footer(text=f"{kind} · {done} rated this session{mine}")
    return embed


def front_view(due: DueCard, lesson: str, guild: str, done: int, can_undo: bool) -> discord.ui.View:
    row = [
        button("Show answer", "cards-show", due.card.id, int(due.is_new), lesson, guild, done,
               due.reviews, style=discord.ButtonStyle.primary),
        button("Stop", "cards-stop", lesson, guild, done),
    ]  # fmt: skip
    if can_undo:
        row.append(button("Undo last rating", "cards-undo", lesson, guild, done, emoji="↩"))
    return view_of(row)


def back_view(
    card: Flashcard, lesson: str, guild: str, done: int, reviews: int | str = ""
) -> discord.ui.View:
    """Each rating carries how many ratings the card had when shown ("" on old buttons)."""
    return view_of(
        [
            button(grade.name.title(), "cards-rate", card.id, grade.value, lesson, guild, done,
                   reviews, style=GRADE_STYLES[grade])
            for grade in Grade
        ],
        [button("Stop", "cards-stop", lesson, guild, done)],
    )  # fmt: skip


async def next_card_message(
    interaction: discord.Interaction, lesson: str, guild: str, done: int, can_undo: bool
) -> EmbedMessage:
    """The message for the next due card, or the end-of-session summary."""
    core = tutor_bot(interaction).tutor.flashcards
    who = learner_of(interaction, _guild(guild))
    due = await core.next_card(who, lesson or None)
    if due is None:
        return await summary_message(interaction, guild, done)
    return {
        "embed": card_embed(due.card, due.is_new, done, back=False),
        "view": front_view(due, lesson, guild, done, can_undo),
    }


async def summary_message(interaction: discord.Interaction, guild: str, done: int) -> EmbedMessage:
    stats = await tutor_bot(interaction).tutor.flashcards.stats(
        learner_of(interaction, _guild(guild))
    )
    text = (
        f"You rated **{done}** card{'s' if done != 1 else ''} this session."
        if done
        else ("Nothing to review right now. 🎉")
    )
    embed = discord.Embed(title="Flashcards: session summary", description=text, colour=COLOUR)
    embed.add_field(name="Due now", value=str(stats.due_now))
    embed.add_field(name="New cards left today", value=str(stats.new_left_today))
    embed.add_field(name="Reviewed today", value=str(stats.reviewed_today))
    return {"embed": embed, "view": view_of()}


async def start_review(interaction: discord.Interaction, lesson: str, guild: str = "") -> None:
    """Open a private review session in a new ephemeral message."""
    await interaction.response.defer(ephemeral=True, thinking=True)
    bot = tutor_bot(interaction)
    if guild and not bot.own_guilds(int(guild)):
        # From a DM (they reach shard 0's process): that server's uploads were taken by
        # the process of its shard, maybe after this one started.
        await bot.tutor.content.refresh(int(guild))
    message = await next_card_message(interaction, lesson, guild, 0, can_undo=False)
    await interaction.followup.send(**message, ephemeral=True)


@action("cards-start")
async def on_start(interaction: discord.Interaction, args: list[str]) -> None:
    lesson, *rest = args
    await start_review(interaction, lesson, rest[0] if rest else "")


@action("cards-show", moves_its_message=True)
async def on_show(interaction: discord.Interaction, args: list[str]) -> None:
    card_id, is_new, lesson, guild, done, *reviews = args
    card = tutor_bot(interaction).tutor.flashcards.card(
        card_id, learner_of(interaction, _guild(guild)).guild_id
    )
    await interaction.response.edit_message(
        embed=card_embed(card, is_new == "1", int(done), back=True),
        view=back_view(card, lesson, guild, int(done), reviews[0] if reviews else ""),
    )


@action("cards-rate", moves_its_message=True)
async def on_rate(interaction: discord.Interaction, args: list[str]) -> None:
    card_id, grade, lesson, guild, done, *reviews = args
    core = tutor_bot(interaction).tutor.flashcards
    seen = int(reviews[0]) if reviews and reviews[0] else None
    await core.review(learner_of(interaction, _guild(guild)), card_id, Grade(int(grade)), seen)
    message = await next_card_message(interaction, lesson, guild, int(done) + 1, can_undo=True)
    await interaction.response.edit_message(**message)


@action("cards-undo", moves_its_message=True)
async def on_undo(interaction: discord.Interaction, args: list[str]) -> None:
    lesson, guild, done = args
    core = tutor_bot(interaction).tutor.flashcards
    await core.undo(learner_of(interaction, _guild(guild)))
    message = await next_card_message(
        interaction, lesson, guild, max(int(done) - 1, 0), can_undo=False
    )
    await interaction.response.edit_message(**message)


@action("cards-stop", moves_its_message=True)
async def on_stop(interaction: discord.Interaction, args: list[str]) -> None:
    _, guild, done = args
    await interaction.response.edit_message(**await summary_message(interaction, guild, int(done)))
