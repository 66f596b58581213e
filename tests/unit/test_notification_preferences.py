"""The notification service's use cases on in-memory tables: what a member told us (profiles,
consent, language, timezone) decides what reaches them, where and when."""

from datetime import UTC, datetime, timedelta
from typing import Any

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.notices import (
    Category,
    Channel,
    Notice,
    notice_for_ledger,
    notice_for_voucher,
)
from services.notifications.domain.preferences import Preferences, Profile
from services.notifications.service_layer.handlers import notify_member, take_profiles
from tests.unit.fakes import FakeNotifications
from tests.unit.notices import NOON, TEMPLATES, earned, with_prefs


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
            "Vis koden ved kassen eller brug den online: ABCD. Den gælder til 28. december 2026.",
        ),
    ]
