"""The notification service's use case against an in-memory inbox."""

from datetime import UTC, datetime

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.model import LedgerNotice
from services.notifications.service_layer.handlers import notify_member
from tests.unit.fakes import FakeInbox

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def notice(kind: str, points: int, *, pending: bool = False, after: int = 340) -> LedgerNotice:
    return LedgerNotice(
        source_event_id=f"l-{kind}",
        member_id="m-1",
        kind=kind,
        points=points,
        pending=pending,
        explanation="1 point per whole DKK spent",
        available_after=after,
        occurred_at=NOW,
    )


async def test_a_ledger_event_becomes_one_inbox_message_saying_why() -> None:
    inbox = FakeInbox()
    for _ in range(2):
        await notify_member(NotifyMember(notice("earned", 120)), message_id="msg-1", uow=inbox)
    [message] = inbox.messages
    assert message.title == "You earned 120 points"
    assert "1 point per whole DKK spent" in message.body
    assert "340 points" in message.body


async def test_pending_points_say_they_wait_for_the_return_window() -> None:
    inbox = FakeInbox()
    await notify_member(NotifyMember(notice("earned", 1, pending=True)), message_id="m", uow=inbox)
    [message] = inbox.messages
    assert message.title == "1 point on their way"
    assert "return window" in message.body


async def test_a_reversal_into_debt_says_what_the_member_owes() -> None:
    inbox = FakeInbox()
    await notify_member(NotifyMember(notice("reversed", 50, after=-20)), message_id="m", uow=inbox)
    [message] = inbox.messages
    assert message.title == "50 points taken back"
    assert "You owe 20 points" in message.body


async def test_holds_and_releases_are_not_news() -> None:
    inbox = FakeInbox()
    for kind in ("held", "released"):
        await notify_member(NotifyMember(notice(kind, 5)), message_id=kind, uow=inbox)
    assert inbox.messages == []
