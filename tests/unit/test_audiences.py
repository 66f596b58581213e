"""Audiences and offers in the pure domain: RFM quintiles, windows of frequency and spend, the
control group's hash, a member moving in and out, an offer given once, rules reading
``member.in('x')``, a per-member limit, and the lift's statistics against textbook values."""

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from scipy import stats

from services.rules.adapters.cel_engine import CelPredicate, compile_audience, compile_offer
from services.rules.adapters.offer_specs import OfferSpec
from services.rules.domain.audiences import Audience, Group, in_control
from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.member import MemberState
from services.rules.domain.model import LoyaltyEvent, Purchase, PurchaseLine
from services.rules.domain.placement import place
from services.rules.domain.rfm import Cutpoints, cutpoints, rfm_scores
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.lift import mean_difference, share_difference
from services.rules.service_layer.rulebook import RuleBook
from tests.unit.fakes import FakeRulesUnitOfWork

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
LAPSING = Audience("lapsing", 1, "Lapsing", "member.days_since_last_purchase >= 60")


def offer(**changes: object) -> OfferSpec:
    return OfferSpec.model_validate(
        {
            "id": "winback",
            "name": {"en": "Welcome back", "da": "Velkommen tilbage"},
            "audience": "lapsing",
            "effect": {"type": "fixed", "points": 100},
            **changes,
        }
    )


def test_rfm_scores_rank_by_quintile_and_zero_for_the_inactive() -> None:
    active = [(n, n, Decimal(n)) for n in range(1, 101)]
    cuts = cutpoints(active)
    assert cuts.frequency == (21.0, 41.0, 61.0, 81.0)
    assert rfm_scores(1, 100, Decimal(100), cuts) == (5, 5, 5)  # recent, frequent, big
    assert rfm_scores(100, 1, Decimal(1), cuts) == (1, 1, 1)
    assert rfm_scores(-1, 0, Decimal(0), cuts) == (0, 0, 0)  # never bought
    assert rfm_scores(400, 3, Decimal(10), cuts) == (0, 0, 0)  # not in the last year
    assert rfm_scores(10, 3, Decimal(10), Cutpoints()) == (3, 3, 3)  # nobody ranked yet


def test_frequency_and_spend_windows_count_the_days_they_cover() -> None:
    member = MemberState("m")
    for days_ago, amount in ((0, "10"), (29, "20"), (30, "40"), (89, "80"), (364, "160")):
        member.bought(T0 - timedelta(days=days_ago), Decimal(amount))
    member.bought(T0, Decimal("5"))  # a second purchase today
    facts = member.facts(T0)
    assert (facts["purchases_30d"], facts["spend_30d"]) == (3, 35.0)
    assert (facts["purchases_90d"], facts["spend_90d"]) == (5, 155.0)
    assert (facts["purchases_365d"], facts["spend_365d"]) == (6, 315.0)
    assert facts["avg_basket_365d"] == pytest.approx(315 / 6)
    member.bought(T0 + timedelta(days=400), Decimal("1"))  # a year on: the old days go
    assert list(member.daily) == [(T0 + timedelta(days=400)).date().isoformat()]


def test_the_control_group_is_a_stable_hash_of_offer_and_member() -> None:
    members = [f"m-{n}" for n in range(2000)]
    control = [m for m in members if in_control(m, "winback", Decimal("0.2"))]
    assert 0.17 < len(control) / len(members) < 0.23
    for m in members[:50]:  # as the contract states it, computed apart
        digest = hashlib.sha256(f"winback\x00{m}".encode()).digest()
        assert in_control(m, "winback", Decimal("0.2")) == (
            int.from_bytes(digest[:8], "big") / 2**64 < 0.2
        )
    assert not any(in_control(m, "winback", Decimal(0)) for m in members)


def test_a_member_moves_in_and_out_and_is_given_an_offer_once() -> None:
    member = MemberState("m-1", last_purchase_at=T0 - timedelta(days=61))
    audiences = [(LAPSING, compile_audience(LAPSING))]
    winback = offer().to_offer(1)
    first = place(member, member.facts(T0), T0, audiences, [winback])
    assert [(m.audience_id, m.entered) for m in first.moves] == [("lapsing", True)]
    assert [(g.offer.offer_id, g.member_id) for g in first.grants] == [("winback", "m-1")]
    again = place(member, member.facts(T0), T0, audiences, [winback])
    assert (again.moves, again.grants) == ([], [])
    member.last_purchase_at = T0
    left = place(member, member.facts(T0), T0, audiences, [winback])
    assert [(m.audience_id, m.entered) for m in left.moves] == [("lapsing", False)]
    assert "winback" in member.offers  # given: it stays theirs until it ends
    gone = place(member, member.facts(T0), T0, [], [winback])  # the audience was disabled
    assert gone.moves == []  # (they had left it already)


def test_member_in_is_written_for_cel_as_membership_of_audiences() -> None:
    condition = CelPredicate("member.in('lapsing') && !member.in(\"vip\")", "test")
    assert condition({"member": {"audiences": ["lapsing"]}})
    assert not condition({"member": {"audiences": ["lapsing", "vip"]}})


async def test_an_offer_applies_to_its_treated_members_up_to_its_limit_and_never_to_control() -> (
    None
):
    spec = offer(per_member_limit=150, control_share="0.5")
    book = RuleBook.static_with(offers=[spec], audiences=[LAPSING])
    members = [f"m-{n}" for n in range(12)]
    treated = [m for m in members if not in_control(m, "winback", Decimal("0.5"))]
    uow = FakeRulesUnitOfWork()
    points: dict[str, int] = dict.fromkeys(members, 0)
    for m in members:  # a purchase 61 days ago puts them in the audience; then three now
        for n, at in enumerate([T0 - timedelta(days=61), T0, T0, T0]):
            event = LoyaltyEvent(
                event_id=f"{m}-{n}",
                event_type="purchase.completed",
                member_id=m,
                occurred_at=at,
                purchase=Purchase(
                    "DKK", Decimal(10), (PurchaseLine("s", "c", Decimal(1), Decimal(10)),)
                ),
            )
            decision = await evaluate_event(EvaluateEvent(event), uow=uow, book=book)
            assert decision is not None
            points[m] += sum(a.points for a in decision.awards if a.rule_id == "offer:winback")
    assert points == {m: 150 if m in treated else 0 for m in members}
    groups = {g.member_id: g.group for g in uow.grants}
    assert groups == {m: Group.TREATED if m in treated else Group.CONTROL for m in members}


def test_compile_offer_names_the_offer_in_its_errors() -> None:
    with pytest.raises(ValueError, match="offer winback condition"):
        compile_offer(offer(condition="purchase.total >").to_offer(1))


def test_the_lift_statistics_agree_with_scipy() -> None:
    share = share_difference((30, 20), (100, 100))
    assert share["difference"] == pytest.approx(0.1)
    se = (0.3 * 0.7 / 100 + 0.2 * 0.8 / 100) ** 0.5
    assert share["low"] == pytest.approx(0.1 - 1.959964 * se, rel=1e-5)
    treated, control = [3.0, 4.0, 5.0, 6.0, 9.0], [1.0, 2.0, 2.5, 4.0]
    diff = mean_difference(treated, control)
    expected = stats.ttest_ind(treated, control, equal_var=False)
    assert diff["p_value"] == pytest.approx(expected.pvalue)
    interval = expected.confidence_interval(0.95)
    assert (diff["low"], diff["high"]) == pytest.approx((interval.low, interval.high))
    assert mean_difference([1.0], [2.0])["low"] is None  # too few to say
