"""Turns ledger events (points, vouchers) and tier changes into notices for members, and
members' profile news into their preferences."""

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.notices import (
    Category,
    Notice,
    notice_for_ledger,
    notice_for_tier,
    notice_for_voucher,
)
from services.notifications.domain.preferences import Profile
from services.notifications.service_layer.handlers import notify_members, take_profiles
from services.notifications.service_layer.template_book import TemplateBook
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.contracts.awards import (
    MEMBER_PROFILE_CHANGED,
    MEMBER_TIER_CHANGED,
    POINTS_AWARDED,
    POINTS_DECIDED,
    POINTS_REVOKED,
    ProfileChanged,
    TierChanged,
)
from shared.contracts.envelope import CloudEvent
from shared.contracts.erasure import MEMBER_ERASED
from shared.contracts.inbound import PayloadError, payload_of
from shared.contracts.ledger import (
    POINTS_EXPIRING,
    VOUCHER_EVENT_PREFIX,
    LedgerEvent,
    PointsExpiring,
    VoucherEvent,
)
from shared.erasure import on_member_erased
from shared.kafka.chunks import BatchHandler, commands_of, cut_at

log = logging.getLogger(__name__)
# On the awards topic, all but tier news: consumers skip these by their type header unread.
NOT_NEWS = frozenset({POINTS_DECIDED, POINTS_AWARDED, POINTS_REVOKED})


def to_profile(event: CloudEvent) -> Profile:
    p = payload_of(event, ProfileChanged)
    return Profile(
        member_id=p.member_id,
        stated_at=p.stated_at,
        language=p.language,
        timezone=p.timezone,
        email=p.email,
        push_token=p.push_token,
        email_consent=None if p.consents is None else p.consents.email,
        push_consent=None if p.consents is None else p.consents.push,
    )


def to_notice(event: CloudEvent) -> Notice | None:
    """The notice for an event, None for events members need not hear about."""
    if event.type in NOT_NEWS:
        return None  # the ledger's events tell the member what they did to the points
    if event.type == MEMBER_TIER_CHANGED:
        tier = payload_of(event, TierChanged)
        return notice_for_tier(event.id, tier.model_dump(mode="json"))
    if event.type == POINTS_EXPIRING:
        expiring = payload_of(event, PointsExpiring)
        return Notice(
            event.id,
            expiring.member_id,
            "points_expiring",
            Category.POINTS,
            event.time,
            expiring.model_dump(mode="json"),
        )
    if event.type.startswith(VOUCHER_EVENT_PREFIX):
        voucher = payload_of(event, VoucherEvent)
        return notice_for_voucher(event.id, voucher.model_dump(mode="json"), event.time)
    if event.type.startswith("points."):
        ledger = payload_of(event, LedgerEvent)
        if event.type != f"points.{ledger.kind}":
            raise PayloadError(f"event type {event.type!r} does not match {ledger.kind!r}")
        # Valid, so its JSON is the contract's: read as it came (a dump of the model would
        # copy the postings the notice never reads), the time as validated.
        data = {**event.data, "recorded_at": ledger.recorded_at.isoformat()}
        return notice_for_ledger(event.id, ledger.kind, data)
    raise PayloadError(f"unknown event type {event.type!r} on the awards or ledger topic")


def notice_handler(
    uow_factory: Callable[[], UnitOfWork],
    *,
    templates: TemplateBook | None = None,
    digest_window: timedelta = timedelta(0),
) -> BatchHandler:
    erase = on_member_erased(uow_factory)

    async def handle(events: Sequence[CloudEvent]) -> dict[int, str]:
        """A member's erasure (from the rules or the ledger, whichever comes first) cuts the
        chunk: news of them after it is dropped."""
        return await cut_at(events, lambda e: e.type == MEMBER_ERASED, notify, erase)

    async def notify(events: Sequence[CloudEvent]) -> dict[int, str]:
        # Profiles first: a welcome message in the same chunk already finds the language.
        profiles = commands_of(events, lambda e: to_profile(e) if _is_profile(e) else None)
        if profiles.commands:
            await take_profiles(profiles.commands, uow=uow_factory())
        chunk = commands_of(events, lambda e: None if _is_profile(e) else to_notice(e))
        chunk.rejected.update(profiles.rejected)
        if chunk.commands:
            await notify_members(
                [NotifyMember(n) for n in chunk.commands],
                uow=uow_factory(),
                templates=templates,
                digest_window=digest_window,
            )
        return chunk.rejected

    return handle


def _is_profile(event: CloudEvent) -> bool:
    return event.type == MEMBER_PROFILE_CHANGED
