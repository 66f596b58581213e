"""The ledger's use cases on the in-memory ledger: idempotency and scheduled work."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.ledger.domain.commands import RecordAward, RedeemPoints, RunDueWork
from services.ledger.domain.errors import IdempotencyConflict, InsufficientPoints, UnknownMember
from services.ledger.domain.model import Policy
from services.ledger.service_layer import handlers, reminders
from tests.unit.fakes import FakeLedger

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)
POLICY = Policy(expire_after=timedelta(days=365))
AWARD = RecordAward(
    award_id="a1",
    member_id="m-1",
    points=120,
    rule_id="base-earn",
    rule_version=1,
    explanation="1 point per whole DKK spent",
    source_event_id="e1",
    pending_until=None,
)


async def test_the_same_award_twice_is_one_entry() -> None:
    ledger = FakeLedger()
    assert await handlers.record_award(AWARD, uow=ledger, policy=POLICY, now=NOW) is not None
    assert await handlers.record_award(AWARD, uow=ledger, policy=POLICY, now=NOW) is None
    assert len(ledger.entries) == 1
    assert ledger.balances["m-1"].available == 120


async def test_the_same_award_id_with_other_content_is_refused() -> None:
    ledger = FakeLedger()
    await handlers.record_award(AWARD, uow=ledger, policy=POLICY, now=NOW)
    with pytest.raises(IdempotencyConflict, match="different content"):
        await handlers.record_award(
            dataclasses.replace(AWARD, points=121), uow=ledger, policy=POLICY, now=NOW
        )
    assert ledger.balances["m-1"].available == 120


async def test_a_redemption_retried_with_its_key_is_answered_from_the_first() -> None:
    ledger = FakeLedger()
    await handlers.record_award(AWARD, uow=ledger, policy=POLICY, now=NOW)
    redeem = RedeemPoints(redemption_id="r1", member_id="m-1", points=100, description="mug")
    first = await handlers.redeem_points(redeem, uow=ledger, now=NOW)
    again = await handlers.redeem_points(redeem, uow=ledger, now=NOW)
    assert (first.replayed, again.replayed) == (False, True)
    assert again.balance.available == 20
    with pytest.raises(IdempotencyConflict):
        await handlers.redeem_points(dataclasses.replace(redeem, points=5), uow=ledger, now=NOW)


async def test_a_refused_redemption_stays_refused_for_its_key_when_the_points_come() -> None:
    """A till that timed out asks again with its key and is told "too few points"; the first
    request, held up in a stalled replica, arrives after points came: the same refusal, no
    points spent. (Found by the chaos run; a new key is a new request.)"""
    ledger = FakeLedger()
    await handlers.record_award(AWARD, uow=ledger, policy=POLICY, now=NOW)
    redeem = RedeemPoints(redemption_id="r1", member_id="m-1", points=200, description="mug")
    with pytest.raises(InsufficientPoints) as told:
        await handlers.redeem_points(redeem, uow=ledger, now=NOW)
    more = dataclasses.replace(AWARD, award_id="a2", source_event_id="e2")
    await handlers.record_award(more, uow=ledger, policy=POLICY, now=NOW)
    with pytest.raises(InsufficientPoints) as again:
        await handlers.redeem_points(redeem, uow=ledger, now=NOW)
    assert str(again.value) == str(told.value)
    assert ledger.balances["m-1"].available == 240
    with pytest.raises(IdempotencyConflict, match="refused with different content"):
        await handlers.redeem_points(dataclasses.replace(redeem, points=5), uow=ledger, now=NOW)
    fresh = dataclasses.replace(redeem, redemption_id="r2")
    assert (await handlers.redeem_points(fresh, uow=ledger, now=NOW)).balance.available == 40


async def test_a_redemption_refused_for_no_account_stays_refused_once_the_member_earns() -> None:
    """The same, before the member's first points are booked: told "no account", the till's
    stalled first request must not spend once the account exists (found by the chaos run)."""
    ledger = FakeLedger()
    redeem = RedeemPoints(redemption_id="r1", member_id="m-1", points=100, description="tree")
    with pytest.raises(UnknownMember) as told:
        await handlers.redeem_points(redeem, uow=ledger, now=NOW)
    assert "m-1" not in str(told.value)  # (kept: it names no member)
    await handlers.record_award(AWARD, uow=ledger, policy=POLICY, now=NOW)
    with pytest.raises(UnknownMember):
        await handlers.redeem_points(redeem, uow=ledger, now=NOW)
    assert ledger.balances["m-1"].available == 120
    fresh = dataclasses.replace(redeem, redemption_id="r2")
    assert (await handlers.redeem_points(fresh, uow=ledger, now=NOW)).balance.available == 20


async def test_redeeming_for_a_member_without_points_says_unknown_member() -> None:
    with pytest.raises(UnknownMember):
        await handlers.redeem_points(
            RedeemPoints(redemption_id="r1", member_id="ghost", points=1, description="mug"),
            uow=FakeLedger(),
            now=NOW,
        )


async def test_scheduled_work_matures_once_however_often_it_runs() -> None:
    ledger = FakeLedger()
    pending = dataclasses.replace(AWARD, pending_until=NOW + timedelta(days=14))
    await handlers.record_award(pending, uow=ledger, policy=POLICY, now=NOW)
    later = NOW + timedelta(days=15)
    first = await handlers.run_due_work(RunDueWork("m-1"), uow=ledger, policy=POLICY, now=later)
    second = await handlers.run_due_work(RunDueWork("m-1"), uow=ledger, policy=POLICY, now=later)
    assert [op.kind.value for op in first] == ["mature"]
    assert second == []
    assert (ledger.balances["m-1"].available, ledger.balances["m-1"].pending) == (120, 0)


async def test_members_are_reminded_once_before_their_points_expire() -> None:
    ledger = FakeLedger()
    await handlers.record_award(AWARD, uow=ledger, policy=POLICY, now=NOW)  # expires in 365 d
    within = timedelta(days=30)
    assert not await reminders.remind_member("m-1", uow=ledger, now=NOW, within=within)
    later = NOW + timedelta(days=340)
    assert await reminders.remind_member("m-1", uow=ledger, now=later, within=within)
    assert not await reminders.remind_member("m-1", uow=ledger, now=later, within=within)
    [reminder] = ledger.events
    assert reminder.type == "points.expiring"
    assert (reminder.data["points"], reminder.data["expires_at"][:10]) == (120, "2027-11-23")
