"""The three services' use cases against in-memory units of work."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.ledger.domain.commands import RecordAward
from services.ledger.domain.model import PROGRAM_ISSUED, EntryStatus, member_wallet
from services.ledger.service_layer.handlers import record_award
from services.notifications.domain.commands import NotifyPointsEarned
from services.notifications.domain.model import PointsEarnedNotice
from services.notifications.service_layer.handlers import notify_points_earned
from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import LoyaltyEvent, Purchase
from services.rules.service_layer.handlers import evaluate_event
from tests.unit.fakes import FakeInbox, FakeLedgerUnitOfWork, FakeRulesUnitOfWork

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def award(
    award_id: str = "a1", points: int = 120, pending_until: datetime | None = None
) -> RecordAward:
    return RecordAward(
        award_id=award_id,
        member_id="m-1",
        points=points,
        rule_id="base-earn",
        rule_version=1,
        explanation="1 point per whole DKK spent",
        source_event_id="e1",
        pending_until=pending_until,
    )


async def test_the_same_event_delivered_twice_is_awarded_once() -> None:
    uow = FakeRulesUnitOfWork()
    event = LoyaltyEvent(
        event_id="e1",
        event_type="purchase.completed",
        member_id="m-1",
        occurred_at=NOW,
        purchase=Purchase("DKK", Decimal("99.50")),
    )
    first = await evaluate_event(EvaluateEvent(event), uow=uow)
    second = await evaluate_event(EvaluateEvent(event), uow=uow)
    assert [a.points for a in first] == [99]
    assert second == []
    assert [a.points for a in uow.published] == [99]


async def test_an_award_credits_the_wallet_and_debits_the_program() -> None:
    uow = FakeLedgerUnitOfWork()
    entry = await record_award(award(), uow=uow, now=NOW)
    assert entry is not None
    assert (entry.debit_account, entry.credit_account) == (PROGRAM_ISSUED, member_wallet("m-1"))
    balance = uow.balances["m-1"]
    assert (balance.available, balance.pending, balance.lifetime_earned) == (120, 0, 120)


async def test_the_same_award_twice_is_one_entry() -> None:
    uow = FakeLedgerUnitOfWork()
    await record_award(award(), uow=uow, now=NOW)
    assert await record_award(award(), uow=uow, now=NOW) is None
    assert len(uow.entries) == 1
    assert uow.balances["m-1"].available == 120


async def test_an_award_inside_its_return_window_is_pending() -> None:
    uow = FakeLedgerUnitOfWork()
    entry = await record_award(award(pending_until=NOW + timedelta(days=30)), uow=uow, now=NOW)
    assert entry is not None
    assert entry.status is EntryStatus.PENDING
    balance = uow.balances["m-1"]
    assert (balance.available, balance.pending, balance.lifetime_earned) == (0, 120, 120)


async def test_balances_add_up_over_awards() -> None:
    uow = FakeLedgerUnitOfWork()
    for i, points in enumerate((10, 25, 7)):
        await record_award(award(f"a{i}", points), uow=uow, now=NOW)
    assert uow.balances["m-1"].available == 42 == sum(e.points for e in uow.entries)


async def test_a_ledger_event_becomes_one_inbox_message_saying_why() -> None:
    inbox = FakeInbox()
    notice = PointsEarnedNotice(
        source_event_id="l1",
        member_id="m-1",
        points=120,
        pending=False,
        explanation="1 point per whole DKK spent",
        available_after=340,
        occurred_at=NOW,
    )
    await notify_points_earned(NotifyPointsEarned(notice), message_id="msg-1", uow=inbox)
    await notify_points_earned(NotifyPointsEarned(notice), message_id="msg-1", uow=inbox)
    [message] = inbox.messages
    assert message.title == "You earned 120 points"
    assert "1 point per whole DKK spent" in message.body
    assert "340 points" in message.body
