"""The default pack over a member's years: birthdays, tiers reviewed at the anniversary, budgets
given back by returns, one language per decision."""

from datetime import date, timedelta
from decimal import Decimal

from services.rules.adapters.rule_specs import RulePack, RuleSpec
from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.member import celebration_days
from services.rules.domain.model import LoyaltyEvent, Purchase, Return
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.rulebook import RuleBook
from tests.unit.fakes import FakeRulesUnitOfWork
from tests.unit.test_rules_pack import T0, Member, line


async def test_a_birthday_is_celebrated_once_a_year() -> None:
    member = Member()
    await member.send("member.enrolled", channel="pos", birthday="1990-03-02", language="sv")
    first = await member.send("member.birthday", event_id="bd-2026-a")
    again = await member.send("member.birthday", event_id="bd-2026-b")
    assert first is not None
    assert [(a.rule_id, a.points, a.explanation) for a in first.awards] == [
        ("birthday", 100, "grattis på födelsedagen!")
    ]
    assert again is not None
    assert again.awards == []
    member.now += timedelta(days=365)
    next_year = await member.send("member.birthday", event_id="bd-2027")
    assert next_year is not None
    assert [a.points for a in next_year.awards] == [100]


async def test_a_tier_survives_a_quiet_month_and_is_reviewed_at_the_anniversary() -> None:
    member = Member()
    await member.send("member.enrolled", channel="pos")
    await member.buy(line("kitchen", "1000"))  # 1000 + 100 bonus: silver
    member.now += timedelta(days=40)
    await member.send("member.activity", activity="own_bag")
    assert member.uow.states["m-1"].tier == "silver"
    member.now = T0 + timedelta(days=365 + 60)  # the points have left the 12-month window
    review = await member.send("member.anniversary", event_id="anniv-2027")
    assert review is not None
    assert review.tier_change is not None
    assert (review.tier_change.previous, review.tier_change.tier) == ("silver", "base")
    assert [a.rule_id for a in review.awards] == ["anniversary"]


def test_a_29_february_birthday_is_celebrated_on_the_28th_in_other_years() -> None:
    assert celebration_days(date(2027, 2, 28)) == {"02-28", "02-29"}
    assert celebration_days(date(2028, 2, 28)) == {"02-28"}
    assert celebration_days(date(2028, 2, 29)) == {"02-29"}


async def test_keeping_a_tier_at_the_anniversary_is_news_too() -> None:
    member = Member()
    await member.send("member.enrolled", channel="pos")
    await member.buy(line("kitchen", "1000"))  # silver
    member.now = T0 + timedelta(days=365)
    await member.buy(line("kitchen", "1000"))  # still earning: the review keeps silver
    review = await member.send("member.anniversary", event_id="anniv-kept")
    assert review is not None
    assert review.tier_change is not None
    assert (review.tier_change.previous, review.tier_change.tier) == ("silver", "silver")


async def test_a_return_gives_a_campaign_back_the_budget_its_purchase_used() -> None:
    launch = RuleSpec.model_validate(
        {
            "id": "launch",
            "name": "Launch week",
            "driver": "economic",
            "events": ["purchase.completed"],
            "effect": {"type": "fixed", "points": 30},
            "caps": {"budget": 50},
            "explanation": {"en": "launch week"},
        }
    )
    book = RuleBook.static(RulePack(rules=[launch]))
    uow = FakeRulesUnitOfWork()
    bought = LoyaltyEvent(
        event_id="p-1",
        event_type="purchase.completed",
        member_id="m-1",
        occurred_at=T0,
        purchase=Purchase(currency="DKK", total=Decimal("10")),
    )
    decision = await evaluate_event(EvaluateEvent(bought), uow=uow, book=book)
    assert decision is not None
    assert uow.spent == {"launch": 30}
    returned = LoyaltyEvent(
        event_id="r-1",
        event_type="purchase.returned",
        member_id="m-1",
        occurred_at=T0,
        returned=Return("p-1", "DKK", Decimal("10")),
    )
    back = await evaluate_event(EvaluateEvent(returned), uow=uow, book=book)
    assert back is not None
    assert [(r.rule_id, r.points) for r in back.revocations] == [("launch", 30)]
    assert uow.spent == {"launch": 0}  # a return in a chunk of its own refunds the budget


async def test_a_decision_is_explained_in_one_language_the_members_or_else_english() -> None:
    def rule(rule_id: str, texts: dict[str, str]) -> RuleSpec:
        return RuleSpec.model_validate(
            {
                "id": rule_id,
                "name": rule_id,
                "driver": "economic",
                "events": ["purchase.completed"],
                "effect": {"type": "fixed", "points": 10},
                "explanation": texts,
            }
        )

    both = rule("both", {"en": "thank you", "sv": "tack"})
    english_only = rule("english-only", {"en": "launch week"})
    bought = LoyaltyEvent(
        event_id="p-1",
        event_type="purchase.completed",
        member_id="m-1",
        occurred_at=T0,
        purchase=Purchase(currency="DKK", total=Decimal("10")),
    )
    for rules, expected in (
        ([both], ["tack"]),
        ([both, english_only], ["launch week", "thank you"]),
    ):
        uow = FakeRulesUnitOfWork()
        await evaluate_event(
            EvaluateEvent(
                LoyaltyEvent("e-0", "member.enrolled", "m-1", T0, data={"language": "sv-SE"})
            ),
            uow=uow,
            book=RuleBook.static(RulePack(rules=rules)),
        )
        decision = await evaluate_event(
            EvaluateEvent(bought), uow=uow, book=RuleBook.static(RulePack(rules=rules))
        )
        assert decision is not None
        assert sorted(a.explanation for a in decision.awards) == expected
        assert {a.language for a in decision.awards} == {"sv-SE" if len(rules) == 1 else "en"}
