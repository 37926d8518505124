"""Daily prompts in the console: /flashcards daily dm|off for a student, /tutor-admin
daily|daily-off for the teacher, and the prompts printed when they fire while the
console is open (the console delivers its own guild's prompts; the bot never does).
"""

from __future__ import annotations

from bot.console.commands import UsageError, command
from bot.console.session import Console
from bot.core.context import CONSOLE_GUILD
from bot.core.daily import ChannelPrompt, DmPrompt, Scheduled, WeeklyLeaderboard
from bot.render.schedules import schedule_text as render_schedule
from bot.render.words import plural

CONSOLE_CHANNEL = 0


def schedule_text(what: str, scheduled: Scheduled) -> str:
    return render_schedule(what, scheduled, lambda moment: f"{moment:%Y-%m-%d %H:%M} UTC")


@command(
    "flashcards daily dm",
    "time",
    "timezone",
    help="/flashcards daily dm time:HH:MM [timezone:Europe/Paris]: your daily reminder",
)
async def daily_dm(console: Console, time: str = "", timezone: str = "") -> None:
    if not time:
        raise UsageError("At what time? /flashcards daily dm time:08:30")
    scheduled = await console.tutor.daily.set_dm(console.who, time, timezone or None)
    console.say(schedule_text(f"Your daily reminder, {console.who.name},", scheduled))


@command("flashcards daily off", help="/flashcards daily off: no reminder, no streak shout-outs")
async def daily_off(console: Console) -> None:
    await console.tutor.daily.opt_out(console.who)
    console.say(f"Daily reminders are off for {console.who.name}.")


@command(
    "tutor-admin daily",
    "time",
    "timezone",
    "leaderboard-day",
    help="/tutor-admin daily time:HH:MM [timezone:..] [leaderboard-day:monday|..|never]",
    teachers_only=True,
)
async def class_prompt(
    console: Console, time: str = "", timezone: str = "", leaderboard_day: str = "monday"
) -> None:
    if not time:
        raise UsageError("At what time? /tutor-admin daily time:08:30")
    scheduled = await console.tutor.daily.set_channel(
        CONSOLE_GUILD, CONSOLE_CHANNEL, time, timezone or None, leaderboard_day
    )
    console.say(schedule_text("The class's card of the day", scheduled))


@command("tutor-admin daily-off", help="/tutor-admin daily-off: stop it", teachers_only=True)
async def class_prompt_off(console: Console) -> None:
    removed = await console.tutor.daily.channel_off(CONSOLE_GUILD)
    console.say("Daily prompt stopped." if removed else "There was no daily prompt.")


class PrintedPrompts:
    """The daily prompts' ``Sender`` for the console: prompts are printed as they fire.

    A terminal keeps no history the console can read, so a prompt a crash left unresolved
    is printed again: a repeated line beats a missing prompt."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def send_channel(self, channel_id: int, post: ChannelPrompt | WeeklyLeaderboard) -> None:
        say = self.console.say
        if isinstance(post, WeeklyLeaderboard):
            say(f"🏆 **The week's leaderboard** ({post.week})")
            for row in post.board.top:
                say(f"{row.display_name or row.user_id}: {row.points}", indent=f"{row.rank:3}. ")
            if not post.board.top:
                say("No points this week yet.")
            return
        say(f"📣 **Card of the day** · {post.day:%A %Y-%m-%d}")
        if post.card is not None:
            say(f"{post.card.front} (answer it in your head, then /flashcards review)")
        streaks = ", ".join(
            f"{self.console.names.get(user, 'a student')} {plural(days, 'day')}"
            for user, days in post.streaks
        )
        say(f"🔥 On a streak: {streaks or 'nobody yet: review today to start one!'}")

    async def send_dm(self, user_id: int, prompt: DmPrompt) -> None:
        name = self.console.names.get(user_id, "a student")
        waiting = plural(prompt.due, "card") + " due"
        if prompt.new:
            waiting += f" and {prompt.new} new"
        self.console.say(
            f"📬 For {name}: **{waiting}**. A few minutes now keeps them fresh: "
            f"/user {name}, then /flashcards review."
        )

    async def channel_has(self, channel_id: int, post: ChannelPrompt | WeeklyLeaderboard) -> bool:
        return False

    async def dm_has(self, user_id: int, prompt: DmPrompt) -> bool:
        return False
