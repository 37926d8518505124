"""Leaderboards: all-time and this week, deterministic ties, your own rank."""

from __future__ import annotations

from bot.core.context import Learner
from bot.core.option_order import Shown
from tests.conftest import both_engines

pytestmark = both_engines


async def answer_right(tutor, who: Learner, times: int) -> None:
    questions = tutor.quiz.pool(0)
    for q in questions[:times]:
        await tutor.quiz.answer(who, Shown.as_written(q), q.answer_index)


async def test_top_ten_and_my_rank_outside_it(tutor, clock) -> None:
    people = [Learner(1, 1000 + i, f"p{i}") for i in range(12)]
    for i, who in enumerate(people):
        await answer_right(tutor, who, 1 + i % 6)
        clock.advance(seconds=1)
    board = await tutor.progress.leaderboard(people[0], "all-time")
    assert len(board.top) == 10
    points = [row.points for row in board.top]
    assert points == sorted(points, reverse=True)
    # p0 ties with p6 (one right answer each) but got there first: 11th, not 12th.
    assert board.me is not None and board.me.rank == 11 and board.me_outside_top


async def test_ties_go_to_whoever_got_there_first(tutor, clock) -> None:
    late, early = Learner(1, 1, "late"), Learner(1, 2, "early")
    await answer_right(tutor, early, 1)
    clock.advance(seconds=5)
    await answer_right(tutor, late, 1)
    board = await tutor.progress.leaderboard(late, "all-time")
    assert [row.user_id for row in board.top] == [2, 1]
    assert board.me is not None and board.me.rank == 2


async def test_weekly_board_counts_only_this_week(tutor, clock) -> None:
    old, new = Learner(1, 1, "old"), Learner(1, 2, "new")
    await answer_right(tutor, old, 3)
    clock.advance(days=7)
    await answer_right(tutor, new, 1)
    week = await tutor.progress.leaderboard(new, "week")
    all_time = await tutor.progress.leaderboard(new, "all-time")
    assert [row.user_id for row in week.top] == [2]
    assert [row.user_id for row in all_time.top] == [1, 2]


async def test_other_guilds_do_not_appear(tutor) -> None:
    await answer_right(tutor, Learner(1, 1, "here"), 1)
    await answer_right(tutor, Learner(2, 2, "elsewhere"), 1)
    board = await tutor.progress.leaderboard(Learner(1, 1), "all-time")
    assert [row.user_id for row in board.top] == [1]


async def test_someone_without_points_has_no_rank(tutor) -> None:
    board = await tutor.progress.leaderboard(Learner(1, 5, "new"), "week")
    assert board.top == [] and board.me is None


async def test_progress_by_lesson_counts_cards_and_answers(tutor) -> None:
    from bot.core.flashcards import Grade

    who = Learner(1, 1, "ada")
    await tutor.flashcards.review(who, "beta-c1", Grade.good)
    q = tutor.quiz.question("beta-q0", 0)
    await tutor.quiz.answer(who, Shown.as_written(q), q.answer_index)
    rows = {row.lesson_id: row for row in await tutor.progress.by_lesson(who)}
    assert (rows["beta"].cards_seen, rows["beta"].cards_total) == (1, 3)
    assert (rows["beta"].answered, rows["beta"].correct) == (1, 1)
    assert (rows["alpha"].cards_seen, rows["alpha"].answered) == (0, 0)


async def kept_totals(tutor) -> list[tuple]:
    rows = await tutor.ctx.db.fetchall(
        "SELECT guild_id, week, points, learners FROM board_totals ORDER BY guild_id, week, points"
    )
    return [tuple(row) for row in rows]


async def test_kept_totals_match_a_recount_after_awards_undo_and_forgetting(tutor, clock) -> None:
    from bot.core.flashcards import Grade
    from bot.storage import board_totals

    people = [Learner(1, 10 + i, f"p{i}") for i in range(5)] + [Learner(2, 99, "other")]
    for i, who in enumerate(people):
        await answer_right(tutor, who, 1 + i % 3)
        await tutor.flashcards.review(who, "beta-c1", Grade.good)
    clock.advance(days=7)
    await answer_right(tutor, people[0], 2)
    await tutor.flashcards.review(people[1], "beta-c2", Grade.good)
    await tutor.flashcards.undo(people[1])
    await tutor.flashcards.undo(people[2])  # back into last week, below its old total
    await tutor.guilds.forget(people[3])
    kept = await kept_totals(tutor)
    assert kept
    async with tutor.ctx.db.transaction() as conn:
        await board_totals.recount(conn)
    assert await kept_totals(tutor) == kept


async def test_every_rank_equals_the_place_on_the_full_board(tutor, clock) -> None:
    """Ties (same total, same moment) fall back to the user id; a forgotten learner
    no longer counts for those behind them."""
    people = [Learner(1, 20 - i, f"p{i}") for i in range(8)]
    for i, who in enumerate(people):
        await answer_right(tutor, who, 1 + i % 3)
        if i % 3 == 2:
            clock.advance(seconds=1)
    await tutor.guilds.forget(people[2])
    left = [who for who in people if who != people[2]]
    for period in ("all-time", "week"):
        full = await tutor.progress.leaderboard(left[0], period)
        assert [row.rank for row in full.top] == list(range(1, 8))
        for row in full.top:
            mine = await tutor.progress.leaderboard(Learner(1, row.user_id), period)
            assert mine.me == row
