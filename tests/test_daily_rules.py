"""The pure schedule rules: parsing, DST, local days, the grace window, card of the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.daily_rules import (
    Daily,
    Fire,
    Once,
    card_of_the_day,
    fire_at,
    leaderboard_moment,
    parse_local_time,
    parse_weekday,
    plan,
    top_streaks,
)
from bot.core.guilds import InvalidSetting
from bot.storage.learners import LearnerRow

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def simulate(schedule: Daily, start: datetime, end: datetime) -> list[Fire]:
    """What the delivery loop does, in pure form: wake at each next fire, send what is due."""
    recorded: set[tuple[str, date]] = set()
    sent: list[Fire] = []
    now = start
    while now <= end:
        todo = plan([schedule], recorded, now)
        assert todo.skip == []
        sent += todo.send
        recorded |= {(fire.key, fire.day) for fire in todo.send}
        if todo.wake_at is None:
            break
        now = todo.wake_at
    return sent


@pytest.mark.parametrize(("text", "expected"), [("08:30", time(8, 30)), (" 7:05 ", time(7, 5))])
def test_times_are_hh_mm(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "12:60", "8h30", "0830", ""])
def test_other_times_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidSetting, match="like 08:30"):
        parse_local_time(text)


def test_weekdays_and_never() -> None:
    assert parse_weekday("Monday") == 0 and parse_weekday("sunday") == 6
    assert parse_weekday("never") is None
    with pytest.raises(InvalidSetting):
        parse_weekday("someday")


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # Spring forward: 02:30 does not exist; it fires as late as the gap (03:30 local).
        ("Europe/Paris", date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30)),
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30)),
        # Fall back: 02:30 (Paris) / 01:30 (New York) happen twice; the first one counts.
        ("Europe/Paris", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        # An ordinary time follows the local clock across the change.
        ("Europe/Paris", date(2026, 3, 28), time(9, 0), utc(2026, 3, 28, 8, 0)),
        ("Europe/Paris", date(2026, 3, 29), time(9, 0), utc(2026, 3, 29, 7, 0)),
    ],
)
def test_fire_times_around_dst_changes(zone: str, day: date, at: time, expected) -> None:
    assert fire_at(day, at, zone) == expected


@pytest.mark.parametrize(
    ("zone", "at", "start", "expected"),
    [
        (
            "Europe/Paris",
            time(2, 30),
            utc(2026, 3, 27, 12),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)],
        ),
        (
            "Europe/Paris",
            time(2, 30),
            utc(2026, 10, 23, 12),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        (
            "America/New_York",
            time(1, 30),
            utc(2026, 10, 30, 12),
            [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
    ],
)
def test_one_fire_per_local_day_across_a_dst_change(zone, at, start, expected) -> None:
    fires = simulate(Daily("k", at, zone, since=start), start, start + timedelta(days=3))
    assert [fire.at for fire in fires] == expected
    assert len({fire.day for fire in fires}) == 3


def test_a_fire_belongs_to_its_local_day_not_the_utc_one() -> None:
    paris_midnight = Daily("k", time(0, 0), "Europe/Paris", EPOCH)
    fire = paris_midnight.latest(utc(2026, 3, 2, 23, 0))
    assert fire is not None and fire.day == date(2026, 3, 3) and fire.at == utc(2026, 3, 2, 23)
    la_evening = Daily("k", time(23, 30), "America/Los_Angeles", EPOCH)
    fire = la_evening.latest(utc(2026, 3, 3, 8, 0))
    assert fire is not None and fire.day == date(2026, 3, 2) and fire.at == utc(2026, 3, 3, 7, 30)
    assert la_evening.next(utc(2026, 3, 3, 8, 0)) == Fire(
        "k", date(2026, 3, 3), utc(2026, 3, 4, 7, 30)
    )


def test_fires_before_a_schedule_existed_are_not_owed() -> None:
    made_at_ten = Daily("k", time(9, 0), "UTC", since=utc(2026, 3, 2, 10))
    assert made_at_ten.latest(utc(2026, 3, 2, 10, 30)) is None
    assert made_at_ten.next(utc(2026, 3, 2, 10, 30)) == Fire(
        "k", date(2026, 3, 3), utc(2026, 3, 3, 9)
    )


def test_grace_window_sends_late_prompts_and_skips_later_ones() -> None:
    schedule = Daily("k", time(9, 0), "UTC", EPOCH)
    on_the_edge = plan([schedule], set(), utc(2026, 3, 2, 11, 0))
    assert [f.at for f in on_the_edge.send] == [utc(2026, 3, 2, 9)] and on_the_edge.skip == []
    too_late = plan([schedule], set(), utc(2026, 3, 2, 11, 0, 1))
    assert too_late.send == [] and [f.day for f in too_late.skip] == [date(2026, 3, 2)]
    assert too_late.wake_at == utc(2026, 3, 3, 9)


def test_a_recorded_day_is_never_planned_again_and_wake_at_is_the_earliest() -> None:
    early = Daily("early", time(7, 0), "UTC", since=utc(2026, 3, 2))
    late = Daily("late", time(9, 0), "UTC", since=utc(2026, 3, 2))
    todo = plan([early, late], {("early", date(2026, 3, 2))}, utc(2026, 3, 2, 8))
    assert todo.send == [] and todo.skip == [] and todo.wake_at == utc(2026, 3, 2, 9)


def test_weekly_schedules_fire_on_their_weekday_only() -> None:
    tuesdays = Daily("k", time(9, 0), "UTC", EPOCH, weekday=1)
    assert tuesdays.latest(utc(2026, 3, 9, 12)) == Fire("k", date(2026, 3, 3), utc(2026, 3, 3, 9))
    assert tuesdays.next(utc(2026, 3, 9, 12)) == Fire("k", date(2026, 3, 10), utc(2026, 3, 10, 9))


def test_a_one_off_fire_keeps_the_day_of_the_prompt_it_repeats() -> None:
    snoozed = Once(Fire("s", date(2026, 3, 2), utc(2026, 3, 3, 0, 10)))
    assert snoozed.next(utc(2026, 3, 3)) == snoozed.fire
    assert plan([snoozed], set(), utc(2026, 3, 3, 0, 10)).send == [snoozed.fire]


def test_card_of_the_day_is_stable_for_a_day_and_changes_across_days() -> None:
    cards = [f"card{i}" for i in range(20)]
    monday = card_of_the_day(cards, 42, date(2026, 3, 2))
    assert monday == card_of_the_day(cards, 42, date(2026, 3, 2))
    week = {card_of_the_day(cards, 42, date(2026, 3, 2) + timedelta(days=d)) for d in range(7)}
    assert len(week) > 1
    assert card_of_the_day([], 42, date(2026, 3, 2)) is None


def test_top_streaks_are_those_still_standing_longest_first() -> None:
    today = date(2026, 3, 10)

    def learner(user_id: int, current: int, last: date, freezes: int = 0) -> LearnerRow:
        return LearnerRow(1, user_id, "", 0, current, current, freezes, last)

    rows = [
        learner(1, 3, today),
        learner(2, 9, today - timedelta(days=1)),
        learner(3, 20, today - timedelta(days=3)),  # broken: two days missed, no freeze
        learner(4, 14, today - timedelta(days=2), freezes=1),  # a freeze covers the gap
    ]
    assert top_streaks(rows, today, limit=2) == [(4, 14), (2, 9)]


def test_the_weekly_leaderboard_shows_the_week_of_the_day_before() -> None:
    monday = Fire("k", date(2026, 3, 9), utc(2026, 3, 9, 9))
    assert leaderboard_moment(monday).date() == date(2026, 3, 8)  # Sunday: last week's final
