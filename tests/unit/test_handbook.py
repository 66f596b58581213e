"""The rules engine against the program's handbook (tests/e2e/handbook.py), an independent
model written from the pack's wording: a wrong multiplier, cap, rounding or return share in
the engine shows here, in process, and the end-to-end runs check the system against the
same handbook."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.handbook import DAY_CAPS, handbook_expected
from tests.e2e.oracle import expected, stream

RULES = [
    "base-earn",
    "dairy-double",
    "big-basket",
    "silver-multiplier",
    "gold-multiplier",
    "partner-coffee",
    *DAY_CAPS,
    "fifth-visit",
    "three-categories",
]


@pytest.mark.parametrize(
    ("seed", "members", "purchases", "when"),
    [
        (1, 3, 400, datetime(2026, 3, 1, 23, 55, tzinfo=UTC)),  # crosses midnight: day caps
        (2, 20, 900, datetime(2026, 11, 8, 10, 0, tzinfo=UTC)),
        (3, 2, 300, datetime(2026, 1, 31, 23, 58, tzinfo=UTC)),  # crosses into a new month
        (4, 8, 600, datetime.now(UTC) - timedelta(days=20)),
    ],
)
async def test_the_engine_gives_what_the_handbook_says(
    seed: int, members: int, purchases: int, when: datetime
) -> None:
    events = stream(
        seed,
        members=members,
        purchases=purchases,
        duplicates=purchases // 15,
        returns=purchases // 10,
        when=when,
        prefix="hb",
    )
    cases: Counter[str] = Counter()
    net, earnings = handbook_expected(events, cases)
    assert (net, earnings) == await expected(events)
    # The stream reached what the handbook is about: every rule, the caps, tiers, returns.
    assert set(RULES) <= cases.keys()
    assert {"capped app-purchase", "tier silver", "tier gold", "taken back"} <= cases.keys()
