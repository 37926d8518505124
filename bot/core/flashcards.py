"""Spaced repetition with FSRS: what to review next, recording ratings, undo, stats.

Order of work: due reviews first (most overdue first), then new cards in course order,
at most the guild's ``new_cards_per_day`` new cards per local day.

A card that is not in the live course is retired: hidden from the queue and from the due
and seen counts, its state and review log kept untouched, so when a reload brings it
back it is due again with its whole history.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum

from fsrs import Card, Rating, Scheduler

from bot.core.context import AlreadyCounted, CoreContext, Learner
from bot.core.scoring import (
    REVIEW_POINTS,
    Award,
    award_activity,
    local_day,
    local_midnight,
    week_key,
)
from bot.curriculum.models import Flashcard
from bot.storage import cards, guild_settings, learners
from bot.storage.cards import CardStateRow
from bot.storage.connection import Connection


class Grade(IntEnum):
    """The four answers a learner gives after seeing the back of a card."""

    again = Rating.Again.value
    hard = Rating.Hard.value
    good = Rating.Good.value
    easy = Rating.Easy.value


@dataclass(frozen=True)
class DueCard:
    card: Flashcard
    is_new: bool
    reviews: int = 0  # ratings so far: a rating button carries it, so a second click is seen


@dataclass(frozen=True)
class ReviewOutcome:
    card: Flashcard
    grade: Grade
    next_due: datetime
    award: Award


@dataclass(frozen=True)
class FlashcardStats:
    due_now: int
    seen: int
    unseen: int
    new_left_today: int
    reviewed_today: int


class UnknownCard(LookupError):
    pass


def _fsrs_id(card_id: str) -> int:
    """fsrs wants an int id; passing one also avoids its time-based default (it sleeps)."""
    return zlib.crc32(card_id.encode())


class Flashcards:
    def __init__(self, ctx: CoreContext, scheduler: Scheduler | None = None) -> None:
        self._ctx = ctx
        self._scheduler = scheduler or Scheduler()

    def card(self, card_id: str, guild_id: int) -> Flashcard:
        """A card of the course as ``guild_id``'s learners see it (its own included)."""
        card = self._ctx.course_for(guild_id).flashcard(card_id)
        if card is None:
            raise UnknownCard(f"no flashcard {card_id!r}")
        return card

    def _deck(self, lesson_id: str | None, guild_id: int) -> tuple[Flashcard, ...]:
        deck = self._ctx.course_for(guild_id).flashcards
        return deck if lesson_id is None else tuple(c for c in deck if c.lesson == lesson_id)

    async def next_card(self, who: Learner, lesson_id: str | None = None) -> DueCard | None:
        """The next card to study, or None when nothing is due and the new-card cap is hit.

        Only the live course's cards count: a card that left the course keeps its state
        and history untouched (retired) and is due again, as it was, when it comes back.
        """
        deck = {card.id: card for card in self._deck(lesson_id, who.guild_id)}
        async with self._ctx.activity(who) as act:
            now = act.now.timestamp()
            due = await cards.first_due(act.conn, who.guild_id, who.user_id, now, deck.keys())
            if due is not None:
                count = await cards.review_count(act.conn, who.guild_id, who.user_id, due.card_id)
                return DueCard(deck[due.card_id], is_new=False, reviews=count)
            if await self._new_left_today(act.conn, who, act.now, act.timezone) <= 0:
                return None
            seen = await cards.states(act.conn, who.guild_id, who.user_id)
            fresh = next((card for card in deck.values() if card.id not in seen), None)
            return DueCard(fresh, is_new=True) if fresh else None

    async def _new_left_today(
        self, conn: Connection, who: Learner, now: datetime, timezone: str
    ) -> int:
        settings = await guild_settings.get(conn, who.guild_id, self._ctx.default_timezone)
        today = local_day(now, timezone).isoformat()
        introduced = await cards.introduced_on(conn, who.guild_id, who.user_id, today)
        return settings.new_cards_per_day - introduced

    async def review(
        self, who: Learner, card_id: str, grade: Grade, reviews: int | None = None
    ) -> ReviewOutcome:
        """Record a rating. ``reviews`` is how many ratings the card had when it was shown:
        if one was recorded since (a double click), ``AlreadyCounted`` and nothing new."""
        card = self.card(card_id, who.guild_id)
        async with self._ctx.activity(who) as act:
            if reviews is not None and reviews != await cards.review_count(
                act.conn, who.guild_id, who.user_id, card_id
            ):
                raise AlreadyCounted("That rating was already counted.")
            previous = await cards.state(act.conn, who.guild_id, who.user_id, card_id)
            state = (
                Card.from_json(previous.fsrs)
                if previous
                else Card(card_id=_fsrs_id(card_id), due=act.now)
            )
            updated, _ = self._scheduler.review_card(
                state, Rating(grade.value), review_datetime=act.now.astimezone(UTC)
            )
            row = CardStateRow(card_id, card.lesson, updated.to_json(), updated.due.timestamp())
            today = local_day(act.now, act.timezone).isoformat()
            await cards.put_state(act.conn, who.guild_id, who.user_id, row, today)
            award = await award_activity(
                act.conn, act.learner, REVIEW_POINTS, act.now, act.timezone
            )
            await cards.log_review(
                act.conn,
                who.guild_id,
                who.user_id,
                card_id,
                grade.value,
                act.now.timestamp(),
                previous,
                REVIEW_POINTS,
            )
        return ReviewOutcome(card, grade, updated.due, award)

    async def undo(self, who: Learner) -> Flashcard | None:
        """Take back the learner's last rating: the card's state and its points."""
        async with self._ctx.activity(who) as act:
            last = await cards.last_review(act.conn, who.guild_id, who.user_id)
            if last is None:
                return None
            if last.previous_fsrs is None:
                await cards.delete_state(act.conn, who.guild_id, who.user_id, last.card_id)
            else:
                # The row exists (the review wrote it): only fsrs and due are updated.
                restored = CardStateRow(
                    last.card_id, "", last.previous_fsrs, last.previous_due or 0.0
                )
                await cards.put_state(act.conn, who.guild_id, who.user_id, restored, "")
            await cards.delete_review(act.conn, who.guild_id, who.user_id, last)
            reviewed = datetime.fromtimestamp(last.reviewed_at, UTC)
            week = week_key(local_day(reviewed, act.timezone))
            await learners.add_points(
                act.conn, who.guild_id, who.user_id, -last.points, week, act.now.timestamp()
            )
        try:
            return self.card(last.card_id, who.guild_id)
        except UnknownCard:
            return None

    async def stats(self, who: Learner) -> FlashcardStats:
        deck_ids = {card.id for card in self._ctx.course_for(who.guild_id).flashcards}
        async with self._ctx.activity(who) as act:
            seen = set(await cards.states(act.conn, who.guild_id, who.user_id)) & deck_ids
            due = await cards.count_due(
                act.conn, who.guild_id, who.user_id, act.now.timestamp(), deck_ids
            )
            new_left = await self._new_left_today(act.conn, who, act.now, act.timezone)
            midnight = local_midnight(local_day(act.now, act.timezone), act.timezone)
            reviewed = await cards.reviews_since(
                act.conn, who.guild_id, who.user_id, midnight.timestamp()
            )
        unseen = len(deck_ids - seen)
        return FlashcardStats(due, len(seen), unseen, max(0, min(new_left, unseen)), reviewed)
