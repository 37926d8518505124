"""Streak rules by local calendar day, and the point rules, as specifications."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.core.scoring import (
    FREEZE_EVERY_DAYS,
    MAX_FREEZES,
    Streak,
    displayed_streak,
    local_day,
    record_activity,
    week_key,
)

ZONES = st.sampled_from(
    [
        "UTC",
        "Europe/Paris",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Kolkata",
        "Pacific/Chatham",
        "America/St_Johns",
        "Pacific/Kiritimati",
    ]
)
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def run(days: list[date], start: Streak | None = None) -> Streak:
    streak = start or Streak()
    for day in days:
        streak = record_activity(streak, day).streak
    return streak


def test_first_activity_starts_a_streak_of_one() -> None:
    assert run([date(2026, 1, 1)]) == Streak(1, 1, 0, date(2026, 1, 1))


def test_consecutive_days_extend_and_the_same_day_does_not() -> None:
    d = date(2026, 1, 1)
    assert run([d, d, d + timedelta(1), d + timedelta(1), d + timedelta(2)]).current == 3


def test_a_missed_day_without_freeze_resets_to_one() -> None:
    d = date(2026, 1, 1)
    streak = run([d, d + timedelta(1), d + timedelta(3)])
    assert (streak.current, streak.best) == (1, 2)


def test_seven_days_earn_a_freeze_that_covers_one_missed_day() -> None:
    d = date(2026, 1, 1)
    week = [d + timedelta(i) for i in range(FREEZE_EVERY_DAYS)]
    streak = run(week)
    assert (streak.current, streak.freezes) == (7, 1)
    update = record_activity(streak, d + timedelta(8))  # day 8 missed
    assert update.freezes_spent == 1
    assert (update.streak.current, update.streak.freezes) == (8, 0)


def test_two_missed_days_with_one_freeze_reset_the_streak() -> None:
    streak = Streak(current=7, best=7, freezes=1, last_day=date(2026, 1, 7))
    update = record_activity(streak, date(2026, 1, 10))
    assert (update.streak.current, update.streak.freezes, update.freezes_spent) == (1, 1, 0)


def test_freezes_are_capped() -> None:
    d = date(2026, 1, 1)
    streak = run([d + timedelta(i) for i in range(FREEZE_EVERY_DAYS * 5)])
    assert streak.freezes == MAX_FREEZES


def test_a_clock_moving_backwards_changes_nothing() -> None:
    streak = Streak(3, 3, 0, date(2026, 1, 5))
    assert record_activity(streak, date(2026, 1, 4)).streak == streak


def test_displayed_streak_is_zero_once_broken_even_before_the_next_activity() -> None:
    streak = Streak(5, 5, 0, date(2026, 1, 5))
    assert displayed_streak(streak, date(2026, 1, 6)) == 5
    assert displayed_streak(streak, date(2026, 1, 7)) == 0
    assert displayed_streak(Streak(5, 5, 1, date(2026, 1, 5)), date(2026, 1, 7)) == 5


def test_late_evening_and_early_morning_are_two_days_in_the_guilds_timezone() -> None:
    paris = "Europe/Paris"
    evening = datetime(2026, 1, 5, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    morning = evening + timedelta(hours=1)  # 00:30 in Paris, still Jan 5 in UTC
    assert local_day(evening, paris) != local_day(morning, paris)
    assert local_day(evening, "UTC") == local_day(morning, "UTC")


@given(zone=ZONES, start=DAYS, length=st.integers(1, 60), hour=st.integers(0, 23))
def test_one_activity_per_local_day_counts_every_day_across_dst(
    zone: str, start: date, length: int, hour: int
) -> None:
    tz = ZoneInfo(zone)
    instants = [
        datetime.combine(start + timedelta(i), datetime.min.time(), tz).replace(hour=hour)
        for i in range(length)
    ]
    days = [local_day(instant.astimezone(UTC), zone) for instant in instants]
    assert run(days).current == length


@given(zone=ZONES, start=DAYS, offsets=st.lists(st.integers(0, 60 * 24 * 20), max_size=40))
def test_streak_invariants_hold_for_any_activity_times(
    zone: str, start: date, offsets: list[int]
) -> None:
    base = datetime.combine(start, datetime.min.time(), UTC)
    days = sorted(local_day(base + timedelta(minutes=m), zone) for m in offsets)
    streak = run(days)
    assert streak.current <= len(set(days))
    assert streak.best >= streak.current
    assert 0 <= streak.freezes <= MAX_FREEZES
    if days:
        assert streak.last_day == days[-1]


@given(day=DAYS)
def test_a_week_key_is_shared_monday_to_sunday(day: date) -> None:
    monday = day - timedelta(days=day.weekday())
    assert {week_key(monday + timedelta(i)) for i in range(7)} == {week_key(day)}
    assert week_key(monday - timedelta(1)) != week_key(day)
