"""The default rule pack, driver by driver, on the in-memory rules service."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import Decision, LoyaltyEvent, Purchase, PurchaseLine, Return
from services.rules.domain.returns import UnknownPurchase
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.pack import DEFAULT_PACK, parse_pack
from services.rules.service_layer.rulebook import RuleBook
from tests.unit.fakes import FakeRulesUnitOfWork

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a Monday
BOOK = RuleBook.static(parse_pack(DEFAULT_PACK.read_text()))


def line(category: str, price: str, quantity: str = "1", *tags: str) -> PurchaseLine:
    return PurchaseLine(
        sku=f"{category}-sku",
        category=category,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        tags=tuple(tags),
    )


class Member:
    def __init__(self, member_id: str = "m-1") -> None:
        self.id = member_id
        self.uow = FakeRulesUnitOfWork()
        self.now = T0

    async def send(
        self,
        event_type: str,
        *,
        purchase: Purchase | None = None,
        returned: Return | None = None,
        event_id: str | None = None,
        **data: Any,
    ) -> Decision | None:
        event = LoyaltyEvent(
            event_id=event_id or uuid.uuid4().hex,
            event_type=event_type,
            member_id=self.id,
            occurred_at=self.now,
            purchase=purchase,
            returned=returned,
            data=data,
        )
        return await evaluate_event(EvaluateEvent(event), uow=self.uow, book=BOOK)

    async def buy(
        self,
        *lines: PurchaseLine,
        total: str | None = None,
        channel: str = "pos",
        paid_with_points: str = "0",
        event_id: str | None = None,
    ) -> dict[str, int]:
        paid = Decimal(total) if total else sum((ln.amount for ln in lines), Decimal(0))
        purchase = Purchase(
            currency="DKK", total=paid, lines=lines, paid_with_points=Decimal(paid_with_points)
        )
        decision = await self.send(
            "purchase.completed", purchase=purchase, channel=channel, event_id=event_id
        )
        assert decision is not None
        return {a.rule_id: a.points for a in decision.awards}


async def test_base_earn_is_one_point_per_krone_paid_and_waits_for_the_return_window() -> None:
    member = Member()
    decision = await member.send(
        "purchase.completed",
        purchase=Purchase(
            currency="DKK", total=Decimal("249.90"), lines=(line("pantry", "249.90"),)
        ),
    )
    assert decision is not None
    [award] = decision.awards
    assert (award.rule_id, award.points, award.driver) == ("base-earn", 249, "economic")
    assert award.pending_until == T0 + timedelta(days=14)
    assert award.explanation == "1 point per DKK spent (249.90 DKK)"


async def test_points_paid_with_points_earn_nothing() -> None:
    assert (await Member().buy(line("pantry", "100"), paid_with_points="40"))["base-earn"] == 60


async def test_the_same_event_twice_is_evaluated_once() -> None:
    member = Member()
    await member.buy(line("pantry", "10"), event_id="e1")
    assert await member.send("purchase.completed", event_id="e1") is None
    assert len(member.uow.awards) == 1


async def test_dairy_earns_double_and_big_baskets_a_bonus() -> None:
    member = Member()
    awards = await member.buy(line("dairy", "300"), line("kitchen", "700"))
    assert awards == {"base-earn": 1000, "dairy-double": 300, "big-basket": 100}
    assert "big-basket" not in await member.buy(line("kitchen", "999.99"))


async def test_tiers_upgrade_on_points_earned_and_multiply_the_base_earn() -> None:
    member = Member()
    await member.buy(line("kitchen", "999"))
    assert member.uow.states["m-1"].tier == "base"
    await member.buy(line("kitchen", "1"))
    assert member.uow.states["m-1"].tier == "silver"
    [change] = member.uow.tier_changes
    assert (change.previous, change.tier) == ("base", "silver")
    assert (await member.buy(line("kitchen", "100")))["silver-multiplier"] == 25


async def test_partner_points_say_who_funds_them() -> None:
    member = Member()
    decision = await member.send(
        "purchase.completed",
        purchase=Purchase(
            currency="DKK",
            total=Decimal("60"),
            lines=(line("pantry", "30", "2", "partner-coffee"),),
        ),
    )
    assert decision is not None
    [partner] = [a for a in decision.awards if a.rule_id == "partner-coffee"]
    assert (partner.points, partner.funded_by) == (20, "nordic-coffee-co")


async def test_structural_rewards_for_joining_the_app_feedback_and_frequency() -> None:
    member = Member()
    welcome = await member.send("member.enrolled", channel="app", language="da")
    again = await member.send("member.enrolled", channel="app", language="da")
    assert welcome is not None
    assert [a.points for a in welcome.awards] == [100]
    assert again is not None
    assert again.awards == []
    assert welcome.awards[0].explanation == "velkommen i klubben"
    first_app, second_app = (
        await member.buy(line("x", "5"), channel="app"),
        await member.buy(line("x", "5"), channel="app"),
    )
    assert (first_app.get("app-purchase"), second_app.get("app-purchase")) == (20, None)
    answers = [
        await member.send("member.activity", activity="nps_answer", score=9) for _ in range(3)
    ]
    assert [sum(a.points for a in d.awards) for d in answers if d] == [25, 25, 0]
    fifth = [await member.buy(line("x", "5")) for _ in range(3)][-1]
    assert fifth["fifth-visit"] == 75
    assert (await member.buy(line("a", "1"), line("b", "1"), line("c", "1")))[
        "three-categories"
    ] == 40


async def test_emotional_rewards_for_referrals_values_and_forgiveness() -> None:
    member = Member()
    referral = await member.send("referral.completed", referred_member_id="m-2")
    assert referral is not None
    assert {(a.member_id, a.rule_id, a.points) for a in referral.awards} == {
        ("m-1", "referral", 200),
        ("m-2", "referred-welcome", 100),
    }
    bag = await member.send("member.activity", activity="own_bag")
    sorry = await member.send("complaint.resolved", complaint_id="c-1", severity="high")
    assert [d.awards[0].points for d in (bag, sorry) if d] == [5, 150]
    assert [d.awards[0].driver for d in (referral, bag, sorry) if d] == ["emotional"] * 3
    organic = await member.buy(line("produce", "20", "3", "organic"))
    assert organic["organic-local"] == 15


async def test_a_return_takes_back_each_rules_share_in_proportion_and_in_full_at_the_end() -> None:
    member = Member()
    earned = await member.buy(line("dairy", "400"), line("kitchen", "600"), event_id="p1")
    assert earned == {"base-earn": 1000, "dairy-double": 400, "big-basket": 100}
    half = await member.send("purchase.returned", returned=Return("p1", "DKK", Decimal(500)))
    rest = await member.send("purchase.returned", returned=Return("p1", "DKK", Decimal(500)))
    assert half is not None
    assert rest is not None
    assert {r.rule_id: r.points for r in half.revocations} == {
        "base-earn": 500,
        "big-basket": 50,
        "dairy-double": 200,
    }
    total = {
        r: sum(x.points for x in half.revocations + rest.revocations if x.rule_id == r)
        for r in earned
    }
    assert total == earned


async def test_a_return_of_an_unknown_purchase_is_refused() -> None:
    with pytest.raises(UnknownPurchase):
        await Member().send("purchase.returned", returned=Return("nope", "DKK", Decimal(5)))
