from datetime import UTC, datetime
from decimal import Decimal

from services.rules.domain.model import LoyaltyEvent, PointsPerCurrencyUnit, Purchase, evaluate

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def purchase(total: str, currency: str = "DKK") -> LoyaltyEvent:
    return LoyaltyEvent(
        event_id="e1",
        event_type="purchase.completed",
        member_id="m-1",
        occurred_at=NOW,
        purchase=Purchase(currency=currency, total=Decimal(total)),
    )


def test_one_point_per_whole_unit_spent_rounding_down() -> None:
    [award] = evaluate(purchase("123.99"), (PointsPerCurrencyUnit(),))
    assert award.points == 123
    assert award.member_id == "m-1"
    assert (award.rule_id, award.rule_version) == ("base-earn", 1)
    assert award.explanation == "1 point per whole DKK spent (123.99 DKK)"


def test_a_purchase_under_one_unit_earns_nothing() -> None:
    assert evaluate(purchase("0.99"), (PointsPerCurrencyUnit(),)) == []


def test_events_that_are_not_purchases_earn_nothing_from_the_spend_rule() -> None:
    event = LoyaltyEvent(
        event_id="e2", event_type="member.enrolled", member_id="m-1", occurred_at=NOW
    )
    assert evaluate(event, (PointsPerCurrencyUnit(),)) == []


def test_points_per_unit_multiplies() -> None:
    [award] = evaluate(purchase("10.50"), (PointsPerCurrencyUnit(points_per_unit=3),))
    assert award.points == 30
