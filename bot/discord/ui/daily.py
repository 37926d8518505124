"""Daily prompts on Discord: how the posts, DMs and confirmations look; Snooze."""

from __future__ import annotations

from datetime import date
from typing import Any

import discord
from discord import app_commands
from discord.utils import format_dt

from bot.core.daily import (
    ChannelPrompt,
    DmPrompt,
    Notices,
    Scheduled,
    WeeklyLeaderboard,
)
from bot.core.daily_rules import NEVER, WEEKDAYS
from bot.curriculum import display_limits as limits
from bot.discord.ui.actions import ActionButton, action, button, view_of
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.embeds import COLOUR, clip, leaderboard_embed
from bot.discord.ui.replies import UserFacingError
from bot.render.schedules import schedule_text as render_schedule
from bot.render.words import plural

WEEKDAY_CHOICES = [app_commands.Choice(name=day.title(), value=day) for day in (*WEEKDAYS, NEVER)]
CHANNEL_PROBLEMS = {
    "deleted": "the channel no longer exists",
    "forbidden": "I am not allowed to post there (check my permissions in that channel)",
}


def review_button(guild_id: int, label: str = "Review now") -> ActionButton:
    """Starts a private review of that guild's cards, even from a DM."""
    return button(label, "cards-start", "", guild_id, style=discord.ButtonStyle.primary)


def channel_message(post: ChannelPrompt) -> dict[str, Any]:
    embed = discord.Embed(title=f"Card of the day · {post.day:%A %Y-%m-%d}", colour=COLOUR)
    if post.card is not None:
        embed.description = clip(post.card.front, limits.EMBED_DESCRIPTION)
        embed.set_footer(text=f"{post.card.lesson} · answer it in your head, then review")
    streaks = "\n".join(f"🔥 <@{user}>: {plural(days, 'day')}" for user, days in post.streaks)
    embed.add_field(name="On a streak", value=streaks or "Nobody yet: review today to start one!")
    return {"embed": embed, "view": view_of([review_button(post.guild_id, "Start my review")])}


def leaderboard_message(post: WeeklyLeaderboard) -> dict[str, Any]:
    embed = leaderboard_embed(post.board, caller_id=0)
    embed.set_footer(text=f"Week {post.week} · /leaderboard shows your own rank")
    return {"embed": embed}


def dm_message(prompt: DmPrompt, server: str) -> dict[str, Any]:
    waiting = plural(prompt.due, "card") + " due"
    if prompt.new:
        waiting += f" and {prompt.new} new"
    embed = discord.Embed(
        title="Your daily flashcards",
        description=f"**{waiting}** in {server}. A few minutes now keeps them fresh.",
        colour=COLOUR,
    )
    # Names the prompt, so a restart after a crash can tell whether it went out.
    when = f"{prompt.day:%A %Y-%m-%d}"
    embed.set_footer(
        text=f"Daily prompt for {when}" if prompt.snoozable else f"Reminder for {when}"
    )
    row = [review_button(prompt.guild_id)]
    if prompt.snoozable:
        snooze = button("Snooze 1 h", "daily-snooze", prompt.guild_id, prompt.day, emoji="⏰")
        row.append(snooze)
    return {"embed": embed, "view": view_of(row)}


def schedule_text(what: str, scheduled: Scheduled) -> str:
    """The confirmation of a saved schedule, the next prompt in the reader's own time."""
    return render_schedule(what, scheduled, lambda moment: format_dt(moment, "F"))


def notice_text(notices: Notices) -> str:
    lines = []
    if notices.dm_closed:
        lines.append(
            "📭 I could not send your daily flashcard DM: Discord says you do not accept DMs "
            "from me. It is paused; allow DMs from this server's members, then run "
            "`/flashcards daily dm` again."
        )
    if notices.channel_failure is not None:
        channel_id, reason = notices.channel_failure
        lines.append(
            f"⚠️ The daily prompt could not be posted in <#{channel_id}>: "
            f"{CHANNEL_PROBLEMS.get(reason, reason)}. It is paused until you run "
            "`/tutor-admin daily` again."
        )
    return "\n".join(lines)


@action("daily-snooze", moves_its_message=True)
async def on_snooze(interaction: discord.Interaction, args: list[str]) -> None:
    guild, day = args
    who = learner_of(interaction, int(guild))
    until = await tutor_bot(interaction).tutor.daily.snooze(who, date.fromisoformat(day))
    if until is None:
        raise UserFacingError("This prompt was snoozed once already (or your daily DM is off).")
    await interaction.response.edit_message(
        content=f"⏰ Snoozed: I will remind you again {format_dt(until, 't')}.",
        view=view_of([review_button(int(guild))]),
    )
