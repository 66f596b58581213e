"""The notification service's use cases on in-memory tables: what reaches whom, where, when."""

from datetime import UTC, datetime, time, timedelta

import pytest

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.deliveries import Delivery, DeliveryError, DeliveryStatus
from services.notifications.domain.notices import (
    Category,
    Channel,
    Notice,
    notice_for_ledger,
)
from services.notifications.domain.preferences import Preferences
from services.notifications.service_layer.handlers import deliver_due, notify_member
from tests.unit.fakes import FakeNotifications
from tests.unit.notices import NOON, TEMPLATES, earned, with_prefs


async def test_an_earning_becomes_one_inbox_message_saying_why_however_often_it_arrives() -> None:
    store = FakeNotifications(TEMPLATES)
    for _ in range(2):
        await notify_member(NotifyMember(earned()), uow=store, now=NOON)
    [message] = store.messages
    assert message.title == "You earned 120 points"
    assert message.body == "Why: 1 point per DKK spent. You now have 340 points to spend."


async def test_the_members_language_is_used_and_english_is_the_fallback() -> None:
    store = with_prefs(language="da")
    await notify_member(NotifyMember(earned(pending=True)), uow=store, now=NOON)
    await notify_member(
        NotifyMember(
            notice_for_ledger(
                "l-2",
                "matured",
                {
                    "member_id": "m-1",
                    "points": 5,
                    "recorded_at": NOON.isoformat(),
                    "balance": {"available": 5},
                },
            )
            or earned()
        ),
        uow=store,
        now=NOON,
    )
    assert [m.title for m in store.messages] == [
        "120 point på vej",
        "5 point er nu dine at bruge",
    ]
    # A kind without a Danish text: the whole message in English.
    english_only = {kind: {"en": texts["en"]} for kind, texts in TEMPLATES.items()}
    store = FakeNotifications(english_only)
    store.prefs["m-1"] = Preferences("m-1", language="da")
    await notify_member(NotifyMember(earned(pending=True)), uow=store, now=NOON)
    assert [m.title for m in store.messages] == ["120 points on their way"]


def test_every_default_text_is_in_every_language_members_are_written_to_in() -> None:
    missing = [
        (kind, language)
        for kind, texts in TEMPLATES.items()
        for language in ("en", "da", "sv")
        if language not in texts
    ]
    assert missing == []


async def test_email_waits_for_the_end_of_quiet_hours_in_the_members_timezone() -> None:
    store = with_prefs(
        email="anna@example.com",
        timezone="Europe/Copenhagen",
        quiet_start=time(21),
        quiet_end=time(8),
    )
    late_evening = datetime(2026, 11, 23, 21, 30, tzinfo=UTC)  # 22:30 in Copenhagen
    birthday = earned(100, rule="birthday", cause="bd")
    channels = await notify_member(NotifyMember(birthday), uow=store, now=late_evening)
    assert channels == [Channel.EMAIL, Channel.INBOX]
    [email] = store.deliveries.values()
    assert email.next_attempt_at == datetime(2026, 11, 24, 7, tzinfo=UTC)  # 08:00 local
    assert email.subject == "Happy birthday!"


async def test_a_receipt_is_sent_at_once_even_in_quiet_hours_and_despite_opt_outs() -> None:
    store = with_prefs(email="anna@example.com", channels={Category.REWARDS: frozenset()})
    night = datetime(2026, 11, 23, 23, tzinfo=UTC)
    receipt = Notice(
        "v-1",
        "m-1",
        "voucher_issued",
        Category.REWARDS,
        night,
        {
            "code": "ABCD-EFGH-JKLM",
            "reward_name": "A loaf",
            "points": 300,
            "expires_at": "2027-01-01T00:00:00+00:00",
        },
        transactional=True,
    )
    await notify_member(NotifyMember(receipt), uow=store, now=night)
    [email] = store.deliveries.values()
    assert email.next_attempt_at == night
    assert "ABCD-EFGH-JKLM" in email.body


async def test_opting_out_of_a_channel_is_respected() -> None:
    store = with_prefs(
        email="anna@example.com", channels={Category.BIRTHDAY: frozenset({Channel.INBOX})}
    )
    await notify_member(NotifyMember(earned(rule="birthday")), uow=store, now=NOON)
    assert store.deliveries == {}
    assert len(store.messages) == 1


class FlakySender:
    def __init__(self, *failures: DeliveryError) -> None:
        self.failures = list(failures)
        self.sent: list[Delivery] = []

    async def send(self, delivery: Delivery, *, unsubscribe_url: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(delivery)


@pytest.mark.parametrize(
    ("failures", "status", "attempts"),
    [
        ([DeliveryError("451 try later", transient=True)] * 2, DeliveryStatus.SENT, 3),
        ([DeliveryError("550 no such user", transient=False)], DeliveryStatus.GAVE_UP, 1),
        ([DeliveryError("timeout", transient=True)] * 9, DeliveryStatus.GAVE_UP, 4),
    ],
)
async def test_transient_failures_are_retried_with_backoff_and_permanent_ones_are_not(
    failures: list[DeliveryError], status: DeliveryStatus, attempts: int
) -> None:
    store = with_prefs(email="anna@example.com")
    await notify_member(NotifyMember(earned(rule="goodwill")), uow=store, now=NOON)
    sender = FlakySender(*failures)
    moment = NOON
    for _ in range(10):
        await deliver_due(
            uow=lambda: store,
            senders={Channel.EMAIL: sender},
            public_url="http://x",
            max_attempts=4,
            now=moment,
        )
        moment += timedelta(minutes=5)
    [delivery] = store.deliveries.values()
    assert (delivery.status, delivery.attempts) == (status, attempts)
    assert len(sender.sent) == (1 if status is DeliveryStatus.SENT else 0)


def test_backoff_grows_and_has_jitter() -> None:
    delivery = Delivery(
        "d", "m", Channel.EMAIL, "k", "a@b.c", "s", "b", DeliveryStatus.QUEUED, 0, NOON, NOON
    )
    waits = []
    for _ in range(3):
        delivery.failed(DeliveryError("busy", transient=True), NOON, max_attempts=9)
        waits.append((delivery.next_attempt_at - NOON).total_seconds())
    assert 1 <= waits[0] <= 2 < waits[1] <= 4 < waits[2] <= 8


async def test_small_earnings_close_together_go_as_one_digest() -> None:
    store = with_prefs(
        email="anna@example.com",
        quiet_start=None,
        quiet_end=None,
        channels={Category.POINTS: frozenset({Channel.INBOX, Channel.EMAIL})},
    )
    for n in range(3):
        await notify_member(
            NotifyMember(earned(10 + n, cause=f"l-{n}")),
            uow=store,
            now=NOON,
            digest_window=timedelta(minutes=10),
        )
    sender = FlakySender()
    early = await deliver_due(
        uow=lambda: store,
        senders={Channel.EMAIL: sender},
        public_url="http://x",
        max_attempts=3,
        now=NOON,
    )
    await deliver_due(
        uow=lambda: store,
        senders={Channel.EMAIL: sender},
        public_url="http://x",
        max_attempts=3,
        now=NOON + timedelta(minutes=11),
    )
    assert early == 0
    [digest] = sender.sent
    assert digest.subject == "3 updates about your points"
    assert digest.body.splitlines() == [
        "- You earned 10 points",
        "- You earned 11 points",
        "- You earned 12 points",
    ]
    statuses = sorted(d.status.value for d in store.deliveries.values())
    assert statuses == ["folded", "folded", "sent"]
    assert len(store.messages) == 3  # the inbox keeps every message
