"""Flashcards: FSRS scheduling per learner, due queue, new-card cap, undo, stats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.context import Learner
from bot.core.flashcards import Grade, UnknownCard
from bot.storage import guild_settings

ADA = Learner(1, 100, "ada")
BOB = Learner(1, 200, "bob")


async def set_new_card_limit(tutor, guild_id: int, limit: int) -> None:
    async with tutor.ctx.db.transaction() as conn:
        current = await guild_settings.get(conn, guild_id, "UTC")
        await guild_settings.put(
            conn, guild_settings.GuildSettings(guild_id, current.timezone, None, limit)
        )


async def test_a_new_learner_starts_with_the_first_card_of_the_course(tutor) -> None:
    due = await tutor.flashcards.next_card(ADA)
    assert due is not None
    assert (due.card.id, due.is_new) == ("alpha-c0", True)


async def test_filter_by_lesson(tutor) -> None:
    due = await tutor.flashcards.next_card(ADA, lesson_id="beta")
    assert due is not None and due.card.id == "beta-c0"


async def test_a_good_rating_schedules_the_card_later_and_moves_on(tutor, clock) -> None:
    outcome = await tutor.flashcards.review(ADA, "alpha-c0", Grade.good)
    assert outcome.next_due > clock.now
    assert outcome.award.points == 2
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and nxt.card.id == "alpha-c1"


async def test_due_reviews_come_before_new_cards(tutor, clock) -> None:
    await tutor.flashcards.review(ADA, "alpha-c0", Grade.again)  # due again in 1 minute
    clock.advance(minutes=2)
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and (nxt.card.id, nxt.is_new) == ("alpha-c0", False)


async def test_easy_cards_wait_days_again_cards_wait_minutes(tutor, clock) -> None:
    easy = await tutor.flashcards.review(ADA, "alpha-c0", Grade.easy)
    again = await tutor.flashcards.review(ADA, "alpha-c1", Grade.again)
    assert easy.next_due - clock.now >= timedelta(days=1)
    assert again.next_due - clock.now <= timedelta(minutes=10)


async def test_the_daily_new_card_cap_is_respected_and_resets_next_day(tutor, clock) -> None:
    await set_new_card_limit(tutor, 1, 2)
    for card_id in ("alpha-c0", "alpha-c1"):
        await tutor.flashcards.review(ADA, card_id, Grade.easy)
    assert await tutor.flashcards.next_card(ADA) is None
    stats = await tutor.flashcards.stats(ADA)
    assert (stats.new_left_today, stats.seen, stats.reviewed_today) == (0, 2, 2)
    clock.advance(hours=13)  # past midnight UTC
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and nxt.is_new


async def test_states_are_per_learner_and_per_guild(tutor) -> None:
    await tutor.flashcards.review(ADA, "alpha-c0", Grade.easy)
    bob_next = await tutor.flashcards.next_card(BOB)
    other_guild = await tutor.flashcards.next_card(Learner(2, ADA.user_id, "ada"))
    assert bob_next is not None and bob_next.card.id == "alpha-c0"
    assert other_guild is not None and other_guild.card.id == "alpha-c0"


async def test_undo_restores_the_card_and_takes_back_the_points(tutor) -> None:
    await tutor.flashcards.review(ADA, "alpha-c0", Grade.again)
    before = await tutor.progress.report(ADA)
    await tutor.flashcards.review(ADA, "alpha-c0", Grade.easy)
    undone = await tutor.flashcards.undo(ADA)
    assert undone is not None and undone.id == "alpha-c0"
    after = await tutor.progress.report(ADA)
    assert after.points == before.points
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and nxt.card.id == "alpha-c1"  # c0 is again 'learning', not due yet


async def test_undo_of_a_first_review_makes_the_card_new_again(tutor) -> None:
    await tutor.flashcards.review(ADA, "alpha-c0", Grade.good)
    await tutor.flashcards.undo(ADA)
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and (nxt.card.id, nxt.is_new) == ("alpha-c0", True)
    assert await tutor.flashcards.undo(ADA) is None


async def test_an_unknown_card_is_refused(tutor) -> None:
    with pytest.raises(UnknownCard):
        await tutor.flashcards.review(ADA, "nope", Grade.good)


async def test_a_card_removed_from_the_course_no_longer_blocks_the_queue(tutor, clock) -> None:
    from tests.factories import make_course

    await tutor.flashcards.review(ADA, "alpha-c2", Grade.again)
    tutor.ctx.courses.swap(make_course("alpha", cards=2))
    clock.advance(minutes=5)
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and nxt.card.id == "alpha-c0"
