"""Guild settings and forgetting a learner."""

from __future__ import annotations

import pytest

from bot.core.context import Learner
from bot.core.flashcards import Grade
from bot.core.guilds import InvalidSetting
from bot.core.option_order import Shown
from tests.conftest import both_engines

pytestmark = both_engines


async def test_settings_default_then_update(tutor) -> None:
    assert (await tutor.guilds.settings(5)).timezone == "UTC"
    updated = await tutor.guilds.update(5, timezone="Europe/Paris", teacher_role_id=77)
    assert (updated.timezone, updated.teacher_role_id) == ("Europe/Paris", 77)
    assert await tutor.guilds.settings(5) == updated


async def test_invalid_settings_are_refused_and_nothing_changes(tutor) -> None:
    with pytest.raises(InvalidSetting, match="not a timezone"):
        await tutor.guilds.update(5, timezone="Mars/Olympus")
    with pytest.raises(InvalidSetting, match="0-100"):
        await tutor.guilds.update(5, new_cards_per_day=1000)
    assert (await tutor.guilds.settings(5)).timezone == "UTC"


async def test_the_guild_timezone_decides_the_streak_day(tutor, clock) -> None:
    from datetime import UTC, datetime

    await tutor.guilds.update(1, timezone="Pacific/Kiritimati")  # UTC+14
    who = Learner(1, 1, "ada")
    clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 23:00 on Mar 2 there
    await tutor.flashcards.review(who, "alpha-c0", Grade.good)
    clock.now = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 01:00 on Mar 3 there
    await tutor.flashcards.review(who, "alpha-c1", Grade.good)
    assert (await tutor.progress.report(who)).streak_current == 2


async def test_forget_me_deletes_everything_in_that_guild_only(tutor) -> None:
    here, elsewhere = Learner(1, 1, "ada"), Learner(2, 1, "ada")
    for who in (here, elsewhere):
        await tutor.flashcards.review(who, "alpha-c0", Grade.good)
        q = tutor.quiz.question("alpha-q0", 0)
        await tutor.quiz.answer(who, Shown.as_written(q), 0)
    await tutor.guilds.forget(here)
    db = tutor.ctx.db
    for table in ("learners", "card_states", "review_log", "quiz_answers", "weekly_points"):
        rows = await db.fetchall(f"SELECT guild_id FROM {table} WHERE user_id = 1")
        assert {r[0] for r in rows} == {2}, table
