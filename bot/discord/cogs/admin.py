"""/tutor-admin (Manage Server): settings and content reload; /tutor forget-me."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.guilds import GuildSettings, InvalidSetting
from bot.curriculum import ContentError
from bot.discord.ui.autocomplete import timezone_autocomplete
from bot.discord.ui.context import learner_of, tutor_bot
from bot.discord.ui.daily import WEEKDAY_CHOICES, schedule_text
from bot.discord.ui.embeds import COLOUR, clip
from bot.discord.ui.replies import UserFacingError


def settings_embed(settings: GuildSettings, lessons: int) -> discord.Embed:
    embed = discord.Embed(title="asyncio-tutor settings", colour=COLOUR)
    role = f"<@&{settings.teacher_role_id}>" if settings.teacher_role_id else "not set"
    embed.add_field(name="Teacher role", value=role)
    embed.add_field(name="Timezone", value=settings.timezone)
    embed.add_field(name="New cards per day", value=str(settings.new_cards_per_day))
    embed.add_field(name="Lessons loaded", value=str(lessons))
    return embed


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class TutorAdmin(commands.GroupCog, group_name="tutor-admin"):
    """Server settings for teachers (Manage Server)."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        perms = getattr(interaction.user, "guild_permissions", None)
        if perms is None or not perms.manage_guild:
            raise app_commands.CheckFailure("This needs the Manage Server permission.")
        return True

    async def _update(
        self,
        interaction: discord.Interaction,
        *,
        timezone: str | None = None,
        teacher_role_id: int | None = None,
        new_cards_per_day: int | None = None,
    ) -> None:
        bot = tutor_bot(interaction)
        try:
            settings = await bot.tutor.guilds.update(
                interaction.guild_id or 0,
                timezone=timezone,
                teacher_role_id=teacher_role_id,
                new_cards_per_day=new_cards_per_day,
            )
        except InvalidSetting as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.response.send_message(
            "Saved.", embed=settings_embed(settings, len(bot.tutor.course.lessons)), ephemeral=True
        )

    @app_commands.command(name="teacher-role", description="Which role may run class quizzes")
    async def teacher_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        await self._update(interaction, teacher_role_id=role.id)

    @app_commands.command(name="timezone", description="The server's timezone (streak days)")
    @app_commands.describe(name="e.g. Europe/Paris")
    @app_commands.autocomplete(name=timezone_autocomplete)
    async def timezone(self, interaction: discord.Interaction, name: str) -> None:
        await self._update(interaction, timezone=name)

    @app_commands.command(name="new-cards", description="New flashcards per student per day")
    async def new_cards(
        self, interaction: discord.Interaction, per_day: app_commands.Range[int, 0, 100]
    ) -> None:
        await self._update(interaction, new_cards_per_day=per_day)

    @app_commands.command(name="daily", description="Post a daily flashcard prompt in a channel")
    @app_commands.describe(
        time="Local time, HH:MM (24-hour clock)",
        channel="Where to post (default: this channel)",
        timezone="Default: the server's timezone",
        leaderboard_day="Also post the week's leaderboard on this day (default Monday)",
    )
    @app_commands.choices(leaderboard_day=WEEKDAY_CHOICES)
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    async def daily(
        self,
        interaction: discord.Interaction,
        time: str,
        channel: discord.TextChannel | None = None,
        timezone: str | None = None,
        leaderboard_day: str = "monday",
    ) -> None:
        channel_id = channel.id if channel else interaction.channel_id or 0
        try:
            scheduled = await tutor_bot(interaction).tutor.daily.set_channel(
                interaction.guild_id or 0, channel_id, time, timezone, leaderboard_day
            )
        except InvalidSetting as exc:
            raise UserFacingError(str(exc)) from None
        await interaction.response.send_message(
            schedule_text(f"Daily prompt in <#{channel_id}>", scheduled), ephemeral=True
        )

    @app_commands.command(name="daily-off", description="Stop the daily prompt in this server")
    async def daily_off(self, interaction: discord.Interaction) -> None:
        removed = await tutor_bot(interaction).tutor.daily.channel_off(interaction.guild_id or 0)
        await interaction.response.send_message(
            "Daily prompt stopped." if removed else "There was no daily prompt.", ephemeral=True
        )

    @app_commands.command(name="settings", description="Show this server's settings")
    async def settings(self, interaction: discord.Interaction) -> None:
        bot = tutor_bot(interaction)
        settings = await bot.tutor.guilds.settings(interaction.guild_id or 0)
        await interaction.response.send_message(
            embed=settings_embed(settings, len(bot.tutor.course.lessons)), ephemeral=True
        )

    @app_commands.command(name="reload", description="Reload the course from disk")
    async def reload(self, interaction: discord.Interaction) -> None:
        bot = tutor_bot(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            reloaded = await bot.tutor.reload_course()
        except ContentError as exc:
            problems = "\n".join(str(p) for p in exc.problems)
            await interaction.followup.send(
                f"The new content has {len(exc.problems)} problem(s); "
                f"the current course stays in place.\n```\n{clip(problems, 1800)}\n```",
                ephemeral=True,
            )
            return
        await interaction.followup.send(
            f"Reloaded: {reloaded.lessons} lessons, {reloaded.flashcards} flashcards, "
            f"{reloaded.questions} questions. This server has the new course now; if the bot "
            "runs as several processes, the others load it from their own course folder "
            f"within {reloaded.others_within_s:g} s.",
            ephemeral=True,
        )


class ForgetMeView(discord.ui.View):
    """A short-lived confirmation; its buttons are disabled when it times out."""

    TIMEOUT_S = 60.0

    def __init__(self, owner_id: int) -> None:
        super().__init__(timeout=self.TIMEOUT_S)
        self.owner_id = owner_id
        self.message: discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.owner_id and tutor_bot(interaction).admit(interaction)

    async def on_timeout(self) -> None:
        for item in self.children:
            item.disabled = True  # type: ignore[attr-defined]
        if self.message is not None:
            try:
                await self.message.edit(content="Cancelled (timed out).", view=self)
            except discord.HTTPException:
                pass

    @discord.ui.button(label="Yes, delete my data", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction, _: discord.ui.Button[ForgetMeView]
    ) -> None:
        await tutor_bot(interaction).tutor.guilds.forget(learner_of(interaction))
        self.stop()
        await interaction.response.edit_message(
            content="Done: your progress in this server is deleted.", view=None
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction, _: discord.ui.Button[ForgetMeView]
    ) -> None:
        self.stop()
        await interaction.response.edit_message(content="Nothing was deleted.", view=None)


class AboutYou(commands.GroupCog, group_name="tutor"):
    """Things about you and the bot."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(name="forget-me", description="Delete your data in this server")
    @app_commands.guild_only()
    async def forget_me(self, interaction: discord.Interaction) -> None:
        view = ForgetMeView(interaction.user.id)
        await interaction.response.send_message(
            "This deletes your points, streak, flashcard history and quiz answers in this "
            "server. It cannot be undone. Are you sure?",
            view=view,
            ephemeral=True,
        )
        view.message = await interaction.original_response()


async def setup(bot: commands.Bot) -> None:
    await bot.add_cog(TutorAdmin(bot))
    await bot.add_cog(AboutYou(bot))
