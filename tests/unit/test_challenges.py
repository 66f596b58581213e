"""Challenges in the domain: steps counted towards the goal, a streak that breaks starts
again, the member's own window, and a completion earned once."""

from datetime import UTC, datetime, timedelta

from services.rules.domain.challenges import Challenge, Goal, Progress, advance

MONDAY = datetime(2026, 11, 2, 12, tzinfo=UTC)


def challenge(goal: Goal, target: int, **changes: object) -> Challenge:
    return Challenge("c", 1, {"en": "C"}, goal, target, points=10, **changes)  # type: ignore[arg-type]


def test_a_count_challenge_completes_once() -> None:
    c = challenge(Goal.COUNT, 2)
    held: dict[str, Progress] = {}
    results: list[int | None] = []
    for n in range(4):
        made = advance(c, held, "m", MONDAY + timedelta(hours=n))
        results.append(None if made is None else made[0].count)
        if made is not None:
            held["c"] = made[0]
            if made[0].count >= c.target:
                made[0].completed_at = MONDAY.isoformat()
    assert results == [1, 2, None, None]


def test_weeks_in_a_row_count_each_week_once_and_a_gap_starts_again() -> None:
    c = challenge(Goal.WEEKS_IN_A_ROW, 5)
    held: dict[str, Progress] = {}
    counts = []
    for days in (0, 1, 7, 14, 28, 35):  # a week skipped before day 28
        made = advance(c, held, "m", MONDAY + timedelta(days=days))
        assert made is not None
        held["c"] = made[0]
        counts.append(made[0].count)
    assert counts == [1, 1, 2, 3, 1, 2]


def test_weeks_are_the_members_own_calendar_weeks() -> None:
    c = challenge(Goal.WEEKS_IN_A_ROW, 5)
    sunday_night = datetime(2026, 11, 8, 23, 30, tzinfo=UTC)  # Monday 00:30 in Copenhagen
    held: dict[str, Progress] = {}
    made = advance(c, held, "m", MONDAY, zone="Europe/Copenhagen")
    assert made is not None
    held["c"] = made[0]
    made = advance(c, held, "m", sunday_night, zone="Europe/Copenhagen")
    assert made is not None
    assert made[0].count == 2


def test_categories_count_different_ones_within_the_members_window() -> None:
    c = challenge(Goal.CATEGORIES, 3, rolling_days=30)
    held: dict[str, Progress] = {}
    made = advance(c, held, "m", MONDAY, categories=("dairy", "bakery"))
    assert made is not None
    held["c"] = made[0]
    made = advance(c, held, "m", MONDAY + timedelta(days=3), categories=("dairy",))
    assert made is not None
    assert made[0].count == 2
    assert not made[1]
    late = advance(c, held, "m", MONDAY + timedelta(days=31), categories=("fruit",))
    assert late is not None
    assert late[0].count == 1


def test_outside_its_dates_nothing_counts() -> None:
    c = challenge(Goal.COUNT, 2, active_from=MONDAY, active_until=MONDAY + timedelta(days=7))
    assert advance(c, {}, "m", MONDAY - timedelta(seconds=1)) is None
    assert advance(c, {}, "m", MONDAY + timedelta(days=7)) is None
