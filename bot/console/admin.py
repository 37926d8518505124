"""/tutor-admin settings for the teacher, and /tutor forget-me for anyone."""

from __future__ import annotations

from bot.console.buttons import Button
from bot.console.commands import UsageError, command
from bot.console.session import Console
from bot.core.context import CONSOLE_GUILD
from bot.core.guilds import GuildSettings
from bot.curriculum import ContentError


def show_settings(console: Console, settings: GuildSettings) -> None:
    console.say(
        f"Timezone: {settings.timezone} · new cards per day: {settings.new_cards_per_day}"
        f" · lessons loaded: {len(console.tutor.course.lessons)}"
    )


@command(
    "tutor-admin settings", help="/tutor-admin settings: the class's settings", teachers_only=True
)
async def settings(console: Console) -> None:
    show_settings(console, await console.tutor.guilds.settings(CONSOLE_GUILD))


@command(
    "tutor-admin timezone",
    "name",
    help="/tutor-admin timezone name:Europe/Paris: the class's day (streaks, prompts)",
    teachers_only=True,
)
async def timezone(console: Console, name: str = "") -> None:
    if not name:
        raise UsageError("Which timezone? /tutor-admin timezone name:Europe/Paris")
    updated = await console.tutor.guilds.update(CONSOLE_GUILD, timezone=name)
    console.say("Saved.")
    show_settings(console, updated)


@command(
    "tutor-admin new-cards",
    "per-day",
    help="/tutor-admin new-cards per-day:0-100: new flashcards per student per day",
    teachers_only=True,
)
async def new_cards(console: Console, per_day: str = "") -> None:
    try:
        count = int(per_day)
    except ValueError:
        raise UsageError("per-day must be a whole number 0-100.") from None
    updated = await console.tutor.guilds.update(CONSOLE_GUILD, new_cards_per_day=count)
    console.say("Saved.")
    show_settings(console, updated)


@command("tutor-admin reload", help="/tutor-admin reload: the course from disk", teachers_only=True)
async def reload(console: Console) -> None:
    try:
        reloaded = await console.tutor.reload_course()
    except ContentError as exc:
        console.say(
            f"The new content has {len(exc.problems)} problem(s); the current course stays."
        )
        for problem in exc.problems[:20]:
            console.say(str(problem), indent="  ")
        return
    console.say(
        f"Reloaded: {reloaded.lessons} lessons, {reloaded.flashcards} flashcards, "
        f"{reloaded.questions} questions. The console has the new course now; Discord bots "
        "running on this database load it from their own course folder within "
        f"{reloaded.others_within_s:g} s."
    )


@command("tutor forget-me", help="/tutor forget-me: delete your data (asks first)")
async def forget_me(console: Console) -> None:
    who = console.who

    async def confirm() -> None:
        await console.tutor.guilds.forget(who)
        console.say(f"Done: {who.name}'s progress is deleted.")

    async def cancel() -> None:
        console.say("Nothing was deleted.")

    console.say(
        f"This deletes {who.name}'s points, streak, flashcard history and quiz answers. "
        "It cannot be undone. Are you sure?"
    )
    console.offer(Button("Yes, delete my data", confirm), Button("Cancel", cancel))
