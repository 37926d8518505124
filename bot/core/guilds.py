"""Per-server settings a teacher chooses, validated before they are stored."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.context import CoreContext, Learner
from bot.storage import guild_settings, learners
from bot.storage.guild_settings import GuildSettings

MAX_NEW_CARDS_PER_DAY = 100


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

    async def update(self, guild_id: int, **changes: object) -> GuildSettings:
        if "timezone" in changes:
            check_timezone(str(changes["timezone"]))
        cards = changes.get("new_cards_per_day")
        if cards is not None and not 0 <= int(cards) <= MAX_NEW_CARDS_PER_DAY:  # type: ignore[call-overload]
            raise InvalidSetting(f"new cards per day must be 0-{MAX_NEW_CARDS_PER_DAY}")
        async with self._ctx.db.transaction() as conn:
            current = await guild_settings.get(conn, guild_id, self._ctx.default_timezone)
            updated = replace(current, **changes)  # type: ignore[arg-type]
            await guild_settings.put(conn, updated)
        return updated

    async def forget(self, who: Learner) -> None:
        """Delete everything stored about this learner in this guild."""
        async with self._ctx.db.transaction() as conn:
            await learners.forget(conn, who.guild_id, who.user_id)
