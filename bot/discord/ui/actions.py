"""One persistent button type for the whole bot: its custom id names an action and
carries that action's arguments (``t:<action>:<arg>:<arg>``).

Nothing about a button lives in memory, so every button keeps working after a restart,
and each feature only registers an ``@action`` handler. The views that lay buttons out
are never stored either (``ButtonRows``): memory stays flat however many replies go out.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.curriculum import display_limits as limits
from bot.discord.ui.context import tutor_bot
from bot.discord.ui.double_clicks import ALREADY_COUNTED, RecentClicks, click_key
from bot.discord.ui.replies import SHUTTING_DOWN, UserFacingError, guarded

Handler = Callable[[discord.Interaction, list[str]], Awaitable[None]]
_HANDLERS: dict[str, Handler] = {}
_MOVES_ITS_MESSAGE: set[str] = set()
CUSTOM_ID_MAX = 100
PREFIX = "t"
_RECENT_CLICKS = RecentClicks()


def action(name: str, *, moves_its_message: bool = False) -> Callable[[Handler], Handler]:
    """Register the handler of the buttons named ``name``. ``moves_its_message``: the
    handler edits the message the button is on (the next card, the next question), so a
    second click on the same version of that message is a double click and is refused;
    other buttons (open a modal, start something new) may be pressed again at any time."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        if moves_its_message:
            _MOVES_ITS_MESSAGE.add(name)
        return handler

    return register


def custom_id(name: str, *args: object) -> str:
    value = ":".join([PREFIX, name, *map(str, args)])
    if len(value) > CUSTOM_ID_MAX or any(":" in str(a) for a in args):
        raise ValueError(f"custom id cannot carry {args!r}")
    return value


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=rf"^{PREFIX}:(?P<name>[a-z][a-z0-9-]*)(?P<args>(?::[^:]*)*)$",
):
    def __init__(self, button: discord.ui.Button[discord.ui.View]) -> None:
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        assert isinstance(item, discord.ui.Button)
        return cls(item)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return tutor_bot(interaction).admit(interaction)

    async def callback(self, interaction: discord.Interaction) -> None:
        _, name, *args = (self.item.custom_id or "").split(":")
        async with guarded(interaction):
            if not getattr(interaction.client, "accepting", True):
                raise UserFacingError(SHUTTING_DOWN)
            if name in _MOVES_ITS_MESSAGE and not _RECENT_CLICKS.first(click_key(interaction)):
                raise UserFacingError(ALREADY_COUNTED)
            handler = _HANDLERS.get(name)
            if handler is None:
                raise UserFacingError(
                    "This button is from an older version; run the command again."
                )
            await handler(interaction, args)


def button(
    label: str,
    name: str,
    *args: object,
    style: discord.ButtonStyle = discord.ButtonStyle.secondary,
    disabled: bool = False,
    emoji: str | None = None,
) -> ActionButton:
    return ActionButton(
        discord.ui.Button(
            label=label[: limits.BUTTON_LABEL],
            custom_id=custom_id(name, *args),
            style=style,
            disabled=disabled,
            emoji=emoji,
        )
    )


class ButtonRows(discord.ui.View):
    """Only the layout of a message's buttons: ``ActionButton`` (registered once with
    ``add_dynamic_items``) answers every click from the custom id alone.

    discord.py keeps every unfinished view it sends or edits in, and gives an ephemeral
    reply's view a 15-minute timeout task: for a reply per interaction, a View, its
    items and a Task kept per interaction. A view that says it is finished is never
    kept: it is garbage once the message is sent.
    """

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_finished(self) -> bool:
        return True


def view_of(*rows: Sequence[ActionButton]) -> ButtonRows:
    """Buttons laid out in rows (at most 5 rows of 5, as Discord allows); none for a
    message whose buttons should go away."""
    if len(rows) > 5 or any(len(row) > 5 for row in rows):
        raise ValueError("Discord allows 5 rows of 5 buttons")
    view = ButtonRows()
    for index, row in enumerate(rows):
        for item in row:
            item.row = index
            view.add_item(item)
    return view
