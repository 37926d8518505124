"""/flashcards review and /flashcards stats: spaced repetition, one card at a time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.console.buttons import Button
from bot.console.commands import command
from bot.console.session import Console
from bot.console.topics import lesson_named
from bot.core.flashcards import DueCard, Grade
from bot.render.words import duration, plural, points_earned


@dataclass
class ReviewSession:
    """Ratings given in one review run, newest last (Undo pops the last one)."""

    lesson_id: str | None
    ratings: list[tuple[Grade, int]] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(points for _, points in self.ratings)

    def split(self) -> str:
        counts = Counter(grade.name.title() for grade, _ in self.ratings)
        return ", ".join(f"{name} {n}" for name, n in counts.items())


@command("flashcards review", "lesson", help="/flashcards review [lesson:tasks]: due cards first")
async def review(console: Console, lesson: str = "") -> None:
    lesson_id = lesson_named(console, lesson).id if lesson else None
    await next_card(console, ReviewSession(lesson_id))


async def next_card(console: Console, session: ReviewSession, can_undo: bool = False) -> None:
    due = await console.tutor.flashcards.next_card(console.who, session.lesson_id)
    if due is None:
        await end_review(console, session)
        return
    tag = "new card" if due.is_new else "review"
    console.say(f"Flashcard ({tag}, {due.card.lesson}): {due.card.front}")

    async def reveal() -> None:
        console.say(f"Answer: {due.card.back}")
        console.say("How well did you know it? Be honest: it tunes your schedule.")
        console.offer(
            *(grade_button(console, due, grade, session) for grade in Grade),
            Button("Stop", lambda: end_review(console, session)),
        )

    buttons = [Button("Show answer", reveal), Button("Stop", lambda: end_review(console, session))]
    if can_undo:
        buttons.append(Button("Undo last rating", lambda: undo(console, session)))
    console.offer(*buttons)


def grade_button(console: Console, due: DueCard, grade: Grade, session: ReviewSession) -> Button:
    async def rate() -> None:
        flashcards = console.tutor.flashcards
        outcome = await flashcards.review(console.who, due.card.id, grade, due.reviews)
        session.ratings.append((grade, outcome.award.total))
        wait = (outcome.next_due - console.tutor.ctx.now()).total_seconds()
        console.say(
            f"{grade.name.title()}: next review in {duration(wait)} "
            f"({points_earned(outcome.award)})"
        )
        await next_card(console, session, can_undo=True)

    return Button(grade.name.title(), rate)


async def undo(console: Console, session: ReviewSession) -> None:
    card = await console.tutor.flashcards.undo(console.who)
    if card is None:
        console.say("Nothing to undo.")
    else:
        if session.ratings:
            session.ratings.pop()
        console.say(f"Undone: your last rating of {card.front!r}.")
    await next_card(console, session)


async def end_review(console: Console, session: ReviewSession) -> None:
    stats = await console.tutor.flashcards.stats(console.who)
    if session.ratings:
        console.say(
            f"Session done: {len(session.ratings)} reviewed ({session.split()}), "
            f"+{plural(session.points, 'point')}."
        )
    else:
        console.say("No cards to review right now.")
    console.say(
        f"Due now: {stats.due_now}; new cards left today: {stats.new_left_today}; "
        f"reviewed today: {stats.reviewed_today}."
    )


@command("flashcards stats", help="/flashcards stats: your flashcard numbers")
async def card_stats(console: Console) -> None:
    stats = await console.tutor.flashcards.stats(console.who)
    console.say(
        f"Flashcards: {stats.seen} studied, {stats.unseen} not yet seen, "
        f"{stats.due_now} due now, {stats.new_left_today} new left today, "
        f"{stats.reviewed_today} reviewed today."
    )
