"""Per-server settings a teacher chooses, validated before they are stored."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.context import CoreContext, Learner
from bot.storage import class_quiz_log, guild_settings, learners
from bot.storage.guild_settings import GuildSettings as GuildSettings

MAX_NEW_CARDS_PER_DAY = 100
DEFAULT_TEACHER_ROLE = "teacher"


@dataclass(frozen=True)
class Member:
    """What decides whether someone is a teacher, as a frontend sees them."""

    manage_server: bool
    role_ids: frozenset[int] = frozenset()
    role_names: frozenset[str] = frozenset()


class InvalidSetting(ValueError):
    pass


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSetting(f"{name!r} is not a timezone name like Europe/Paris") from None
    return name


class Guilds:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx

    async def settings(self, guild_id: int) -> GuildSettings:
        async with self._ctx.db.transaction() as conn:
            return await guild_settings.get(conn, guild_id, self._ctx.default_timezone)

    async def update(
        self,
        guild_id: int,
        *,
        timezone: str | None = None,
        teacher_role_id: int | None = None,
        new_cards_per_day: int | None = None,
    ) -> GuildSettings:
        """Change the given settings (None leaves one as it is), all checked first."""
        if timezone is not None:
            check_timezone(timezone)
        if new_cards_per_day is not None and not 0 <= new_cards_per_day <= MAX_NEW_CARDS_PER_DAY:
            raise InvalidSetting(f"new cards per day must be 0-{MAX_NEW_CARDS_PER_DAY}")
        async with self._ctx.db.transaction() as conn:
            current = await guild_settings.get(conn, guild_id, self._ctx.default_timezone)
            updated = replace(
                current,
                timezone=timezone or current.timezone,
                teacher_role_id=teacher_role_id or current.teacher_role_id,
                new_cards_per_day=(
                    current.new_cards_per_day if new_cards_per_day is None else new_cards_per_day
                ),
            )
            await guild_settings.put(conn, updated)
        return updated

    async def is_teacher(self, guild_id: int, member: Member) -> bool:
        """Manage Server, or the guild's teacher role; until a teacher chooses one
        (/tutor-admin teacher-role), a role named "Teacher"."""
        if member.manage_server:
            return True
        role_id = (await self.settings(guild_id)).teacher_role_id
        if role_id is not None:
            return role_id in member.role_ids
        return DEFAULT_TEACHER_ROLE in {name.lower() for name in member.role_names}

    async def forget(self, who: Learner) -> None:
        """Delete everything stored about this learner in this guild."""
        async with self._ctx.db.transaction() as conn:
            await learners.forget(conn, who.guild_id, who.user_id)
            await class_quiz_log.forget(conn, who.guild_id, who.user_id)
