"""The notification service's use cases on in-memory tables: what reaches whom, where, when."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import yaml

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.deliveries import Delivery, DeliveryError, DeliveryStatus
from services.notifications.domain.notices import (
    Category,
    Channel,
    Notice,
    notice_for_ledger,
    notice_for_voucher,
)
from services.notifications.domain.preferences import Preferences, Profile
from services.notifications.service_layer.handlers import deliver_due, notify_member, take_profiles
from services.notifications.service_layer.setup import DEFAULT_TEMPLATES
from tests.unit.fakes import FakeNotifications

NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)
TEMPLATES = yaml.safe_load(DEFAULT_TEMPLATES.read_text())


def earned(
    points: int = 120,
    *,
    pending: bool = False,
    after: int = 340,
    rule: str = "base-earn",
    cause: str = "l-1",
) -> Notice:
    data = {
        "member_id": "m-1",
        "points": points,
        "explanation": "1 point per DKK spent",
        "status": "pending" if pending else "available",
        "rule_id": rule,
        "recorded_at": NOON.isoformat(),
        "balance": {"available": after},
    }
    notice = notice_for_ledger(cause, "earned", data)
    assert notice is not None
    return notice


def with_prefs(**changes: Any) -> FakeNotifications:
    store = FakeNotifications(TEMPLATES)
    store.prefs["m-1"] = Preferences("m-1", **changes)
    return store


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


def told(at: datetime, **stated: Any) -> Profile:
    return Profile("m-1", stated_at=at, **stated)


async def test_what_a_member_tells_at_enrolment_becomes_their_preferences() -> None:
    store = FakeNotifications(TEMPLATES)
    enrolled = told(
        NOON,
        language="sv-SE",
        timezone="Europe/Stockholm",
        email="eva@example.se",
        email_consent=True,
        push_consent=False,
    )
    assert await take_profiles([enrolled], uow=store) == 1
    prefs = store.prefs["m-1"]
    assert (prefs.language, prefs.timezone, prefs.email) == (
        "sv",
        "Europe/Stockholm",
        "eva@example.se",
    )
    assert (prefs.email_consent, prefs.push_consent) == (True, False)
    # The same event again, or an older one, changes nothing; a newer one does.
    assert (
        await take_profiles([enrolled, told(NOON - timedelta(days=1), language="da")], uow=store)
        == 1
    )
    assert store.prefs["m-1"].language == "sv"
    await take_profiles([told(NOON + timedelta(days=1), language="da")], uow=store)
    assert store.prefs["m-1"].language == "da"


async def test_a_choice_made_in_the_app_outlives_older_profile_events() -> None:
    store = with_prefs(language="en", chosen_at=NOON)
    assert await take_profiles([told(NOON - timedelta(minutes=1), language="sv")], uow=store) == 0
    assert store.prefs["m-1"].language == "en"
    assert await take_profiles([told(NOON + timedelta(minutes=1), language="sv")], uow=store) == 1
    assert store.prefs["m-1"].language == "sv"


async def test_without_consent_only_receipts_go_by_email() -> None:
    store = FakeNotifications(TEMPLATES)
    await take_profiles([told(NOON, email="bo@example.dk", email_consent=False)], uow=store)
    store.prefs["m-1"].channels[Category.POINTS] = frozenset({Channel.INBOX, Channel.EMAIL})
    assert await notify_member(NotifyMember(earned()), uow=store, now=NOON) == [Channel.INBOX]
    receipt = Notice(
        "v-1",
        "m-1",
        "voucher_issued",
        Category.REWARDS,
        NOON,
        {
            "code": "ABC",
            "reward_name": "Coffee",
            "points": 100,
            "expires_at": "2027-01-01",
        },
        transactional=True,
    )
    assert await notify_member(NotifyMember(receipt), uow=store, now=NOON) == [
        Channel.EMAIL,
        Channel.INBOX,
    ]


async def test_a_message_follows_the_language_its_explanation_is_in() -> None:
    store = with_prefs(language="da")
    data = {
        "member_id": "m-1",
        "points": 10,
        "explanation": "launch week",
        "status": "available",
        "rule_id": "launch",
        "recorded_at": NOON.isoformat(),
        "balance": {"available": 10},
        "language": "en",  # the rule had no Danish text: the whole message is English
    }
    notice = notice_for_ledger("l-9", "earned", data)
    assert notice is not None
    await notify_member(NotifyMember(notice), uow=store, now=NOON)
    [message] = store.messages
    assert (message.title, message.body) == (
        "You earned 10 points",
        "Why: launch week. You now have 10 points to spend.",
    )


async def test_quiet_hours_are_judged_where_the_member_lives() -> None:
    store = FakeNotifications(TEMPLATES)
    await take_profiles(
        [told(NOON, timezone="Europe/Stockholm", email="eva@example.se", email_consent=True)],
        uow=store,
    )
    evening = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)  # 21:30 in Stockholm: quiet
    tier = Notice(
        "t-1",
        "m-1",
        "tier_changed",
        Category.TIER,
        evening,
        {
            "tier": "silver",
            "previous_tier": "base",
        },
    )
    assert Channel.EMAIL in await notify_member(NotifyMember(tier), uow=store, now=evening)
    [email] = store.deliveries.values()
    assert email.next_attempt_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 there


async def test_reward_names_and_the_ledgers_own_reasons_are_in_the_members_language() -> None:
    store = with_prefs(language="da")
    redeemed = notice_for_ledger(
        "l-r",
        "redeemed",
        {
            "member_id": "m-1",
            "points": 100,
            "explanation": "reward: Plant a tree",
            "explanations": {"en": "Plant a tree", "da": "Plant et træ"},
            "recorded_at": NOON.isoformat(),
            "balance": {"available": 20},
        },
    )
    assert redeemed is not None
    voucher = notice_for_voucher(
        "v-1",
        {
            "member_id": "m-1",
            "code": "ABCD",
            "reward_name": "Plant a tree",
            "reward_names": {"en": "Plant a tree", "da": "Plant et træ"},
            "status": "issued",
            "points": 100,
            "expires_at": "2026-12-28T00:00:00+00:00",
        },
        NOON,
    )
    for notice in (redeemed, voucher):
        await notify_member(NotifyMember(notice), uow=store, now=NOON)
    # Where an operator left a text untranslated, the reasons and names follow the English.
    english_only = FakeNotifications({k: {"en": t["en"]} for k, t in TEMPLATES.items()})
    english_only.prefs["m-1"] = Preferences("m-1", language="da")
    await notify_member(NotifyMember(redeemed), uow=english_only, now=NOON)
    assert english_only.messages[0].body == "On: Plant a tree. You now have 20 points to spend."
    assert [(m.title, m.body) for m in store.messages] == [
        ("Du har brugt 100 point", "På: Plant et træ. Du har nu 20 point at bruge."),
        (
            "Din voucher til Plant et træ",
            "Vis koden ved kassen eller brug den online: ABCD. Den gælder til 2026-12-28.",
        ),
    ]
