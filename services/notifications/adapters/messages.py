"""Translators from the awards and ledger topics' messages to the notification service's
commands: what a member may want to hear about, and what they told us about themselves.
Each reads and checks one type's payload (``PayloadError`` when it breaks the contract)."""

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.notices import (
    Category,
    Notice,
    notice_for_ledger,
    notice_for_tier,
    notice_for_voucher,
)
from services.notifications.domain.preferences import Profile
from shared.contracts.awards import (
    CHALLENGE_COMPLETED,
    NOTICES_OF_DEFAULT_RULES,
    ChallengeNews,
    OfferGranted,
    ProfileChanged,
    TierChanged,
)
from shared.contracts.envelope import CloudEvent
from shared.contracts.inbound import PayloadError, payload_of
from shared.contracts.ledger import LedgerEvent, PointsExpiring, VoucherEvent


def profile(event: CloudEvent) -> Profile:
    p = payload_of(event, ProfileChanged)
    return Profile(
        member_id=p.member_id,
        stated_at=p.stated_at,
        language=p.language,
        timezone=p.timezone,
        email=p.email,
        push_token=p.push_token,
        phone=p.phone,
        email_consent=None if p.consents is None else p.consents.email,
        push_consent=None if p.consents is None else p.consents.push,
    )


def _notify(notice: Notice | None) -> NotifyMember | None:
    return None if notice is None else NotifyMember(notice)


def tier_news(event: CloudEvent) -> NotifyMember | None:
    tier = payload_of(event, TierChanged)
    return _notify(notice_for_tier(event.id, tier.model_dump(mode="json")))


def offer_granted(event: CloudEvent) -> NotifyMember | None:
    """An offer became the member's: told once, in the language the rules wrote it in."""
    offer = payload_of(event, OfferGranted)
    data = offer.model_dump(mode="json")
    return _notify(
        Notice(event.id, offer.member_id, "offer_granted", Category.OFFERS, event.time, data)
    )


def challenge_news(event: CloudEvent) -> NotifyMember | None:
    """A challenge completed (its badge earned), or one step left: told once, in the
    language the rules wrote its name in."""
    news = payload_of(event, ChallengeNews)
    kind = "challenge_completed" if event.type == CHALLENGE_COMPLETED else "challenge_progressed"
    data = news.model_dump(mode="json") | {"steps_left": news.target - news.progress}
    return _notify(Notice(event.id, news.member_id, kind, Category.CHALLENGES, event.time, data))


def points_expiring(event: CloudEvent) -> NotifyMember | None:
    expiring = payload_of(event, PointsExpiring)
    data = expiring.model_dump(mode="json")
    return _notify(
        Notice(event.id, expiring.member_id, "points_expiring", Category.POINTS, event.time, data)
    )


def voucher_news(event: CloudEvent) -> NotifyMember | None:
    voucher = payload_of(event, VoucherEvent)
    return _notify(notice_for_voucher(event.id, voucher.model_dump(mode="json"), event.time))


def ledger_news(event: CloudEvent) -> NotifyMember | None:
    """A ledger operation (``points.<kind>``); None for steps that are not news."""
    ledger = payload_of(event, LedgerEvent)
    if event.type != f"points.{ledger.kind}":
        raise PayloadError(f"event type {event.type!r} does not match {ledger.kind!r}")
    # Valid, so its JSON is the contract's: read as it came (a dump of the model would copy
    # the postings the notice never reads), the time as validated.
    data = {**event.data, "recorded_at": ledger.recorded_at.isoformat()}
    if "notice" not in event.data:  # a ledger of 0.1: the rule's id said it
        data["notice"] = NOTICES_OF_DEFAULT_RULES.get(str(ledger.rule_id or ""))
    return _notify(notice_for_ledger(event.id, ledger.kind, data))
