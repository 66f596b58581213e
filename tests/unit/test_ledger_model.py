from datetime import UTC, datetime

import pytest

from services.ledger.domain.model import Balance

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


@pytest.mark.parametrize("points", [0, -5])
def test_earning_refuses_points_that_are_not_positive(points: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        Balance("m-1").earn(
            entry_id="a",
            points=points,
            pending=False,
            rule_id="r",
            rule_version=1,
            explanation="x",
            source_event_id="e",
            now=NOW,
        )


def test_each_earning_records_an_event_with_the_balance_after_it() -> None:
    balance = Balance("m-1")
    for i in range(2):
        balance.earn(
            entry_id=f"a{i}",
            points=5,
            pending=False,
            rule_id="r",
            rule_version=1,
            explanation="x",
            source_event_id=f"e{i}",
            now=NOW,
        )
    assert [e.balance.available for e in balance.events] == [5, 10]
