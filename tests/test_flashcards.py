"""Flashcards: FSRS scheduling per learner, due queue, new-card cap, undo, stats."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.context import Learner
from bot.core.flashcards import Grade, UnknownCard
from bot.curriculum.models import Course
from bot.storage import guild_settings
from tests.conftest import both_engines
from tests.factories import make_lesson

pytestmark = both_engines

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


# A card that leaves the course is retired, not forgotten: course A has c0 and c1; the
# reload without c1 (A') adds a new card c2 so there is something to study meanwhile.
def course_with(*card_numbers: int) -> Course:
    lesson = make_lesson("alpha", cards=3)
    cards = tuple(card for card in lesson.flashcards if int(card.id[-1]) in card_numbers)
    return Course(title="Test", lessons=(lesson.model_copy(update={"flashcards": cards}),))


async def stored(tutor, card_id: str) -> tuple[object, list]:
    """Ada's state row for the card, as stored, and the card's review log."""
    state = await tutor.ctx.db.fetchone(
        "SELECT card_id, lesson_id, fsrs, due, introduced_day FROM card_states"
        " WHERE guild_id = ? AND user_id = ? AND card_id = ?",
        (ADA.guild_id, ADA.user_id, card_id),
    )
    log = await tutor.ctx.db.fetchall(
        "SELECT * FROM review_log WHERE guild_id = ? AND user_id = ? AND card_id = ? ORDER BY id",
        (ADA.guild_id, ADA.user_id, card_id),
    )
    return state, [tuple(row) for row in log]


async def test_a_retired_card_keeps_its_state_and_comes_back_due_with_it(tutor, clock) -> None:
    tutor.ctx.courses.swap(course_with(0, 1))
    await tutor.flashcards.review(ADA, "alpha-c0", Grade.easy)  # due in days
    await tutor.flashcards.review(ADA, "alpha-c1", Grade.again)  # due in a minute
    clock.advance(minutes=2)
    await tutor.flashcards.review(ADA, "alpha-c1", Grade.again)
    state_before, log_before = await stored(tutor, "alpha-c1")
    assert state_before is not None and len(log_before) == 2

    tutor.ctx.courses.swap(course_with(0, 2))  # c1 leaves, c2 arrives
    clock.advance(minutes=10)  # c1 is overdue in the database
    for _ in range(3):
        stats = await tutor.flashcards.stats(ADA)
        assert (stats.due_now, stats.seen, stats.unseen) == (0, 1, 1)
        assert (await tutor.progress.report(ADA)).due_cards == 0
        [alpha] = await tutor.progress.by_lesson(ADA)
        assert (alpha.cards_seen, alpha.cards_total) == (1, 2)
        nxt = await tutor.flashcards.next_card(ADA)
        assert nxt is not None and (nxt.card.id, nxt.is_new) == ("alpha-c2", True)
        assert await tutor.flashcards.next_card(ADA, lesson_id="alpha") == nxt
    await tutor.flashcards.review(ADA, "alpha-c2", Grade.easy)
    assert await tutor.flashcards.next_card(ADA) is None  # c1 is never offered
    # Undo works across the change: it takes back c2's rating and leaves c1 alone.
    undone = await tutor.flashcards.undo(ADA)
    assert undone is not None and undone.id == "alpha-c2"
    assert await stored(tutor, "alpha-c1") == (state_before, log_before)

    tutor.ctx.courses.swap(course_with(0, 1, 2))  # c1 is back
    assert (await tutor.flashcards.stats(ADA)).due_now == 1
    assert (await tutor.progress.report(ADA)).due_cards == 1
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and (nxt.card.id, nxt.is_new) == ("alpha-c1", False)
    assert await stored(tutor, "alpha-c1") == (state_before, log_before)
    # Its next rating builds on the kept state, and undo goes back to exactly that state.
    await tutor.flashcards.review(ADA, "alpha-c1", Grade.good)
    state_after, log_after = await stored(tutor, "alpha-c1")
    assert log_after[:2] == log_before and len(log_after) == 3
    assert state_after[2] != state_before[2]
    row = await tutor.ctx.db.fetchone(
        "SELECT previous_fsrs, previous_due FROM review_log ORDER BY id DESC LIMIT 1"
    )
    assert tuple(row) == (state_before[2], state_before[3])
    undone = await tutor.flashcards.undo(ADA)
    assert undone is not None and undone.id == "alpha-c1"
    assert await stored(tutor, "alpha-c1") == (state_before, log_before)


async def test_undo_of_a_retired_cards_rating_restores_its_kept_state(tutor, clock) -> None:
    tutor.ctx.courses.swap(course_with(0, 1))
    await tutor.flashcards.review(ADA, "alpha-c1", Grade.again)
    first_state, first_log = await stored(tutor, "alpha-c1")
    before = await tutor.progress.report(ADA)
    await tutor.flashcards.review(ADA, "alpha-c1", Grade.easy)
    tutor.ctx.courses.swap(course_with(0))
    assert await tutor.flashcards.undo(ADA) is None  # undone, but no longer in the course
    assert (await tutor.progress.report(ADA)).points == before.points
    assert await stored(tutor, "alpha-c1") == (first_state, first_log)
    tutor.ctx.courses.swap(course_with(0, 1))
    clock.advance(minutes=2)
    nxt = await tutor.flashcards.next_card(ADA)
    assert nxt is not None and (nxt.card.id, nxt.is_new) == ("alpha-c1", False)


async def test_a_card_moved_to_another_lesson_keeps_its_state_there(tutor, clock) -> None:
    await tutor.flashcards.review(ADA, "alpha-c0", Grade.again)
    alpha, beta = make_lesson("alpha"), make_lesson("beta")
    moved = alpha.flashcards[0].model_copy(update={"lesson": "beta"})
    lessons = (
        alpha.model_copy(update={"flashcards": alpha.flashcards[1:]}),
        beta.model_copy(update={"flashcards": (*beta.flashcards, moved)}),
    )
    tutor.ctx.courses.swap(Course(title="Test", lessons=lessons))
    clock.advance(minutes=2)
    in_alpha = await tutor.flashcards.next_card(ADA, lesson_id="alpha")
    in_beta = await tutor.flashcards.next_card(ADA, lesson_id="beta")
    assert in_alpha is not None and (in_alpha.card.id, in_alpha.is_new) == ("alpha-c1", True)
    assert in_beta is not None and (in_beta.card.id, in_beta.is_new) == ("alpha-c0", False)
