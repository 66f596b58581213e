"""The notification service's consumer of ``loyalty.awards.v1`` and ``loyalty.ledger.v1``:
what handles each event type (the :data:`ROUTES` table), and the chunk handler that carries
the commands out."""

from collections.abc import Callable, Sequence
from datetime import timedelta

from services.notifications.adapters import messages
from services.notifications.service_layer.handlers import notify_members, take_profiles
from services.notifications.service_layer.template_book import TemplateBook
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.contracts.awards import (
    CHALLENGE_COMPLETED,
    CHALLENGE_PROGRESSED,
    MEMBER_PROFILE_CHANGED,
    MEMBER_TIER_CHANGED,
    OFFER_GRANTED,
    POINTS_AWARDED,
    POINTS_DECIDED,
    POINTS_REVOKED,
)
from shared.contracts.envelope import CloudEvent
from shared.contracts.erasure import MEMBER_ERASED
from shared.contracts.ledger import LEDGER_EVENT_TYPES, POINTS_EXPIRING, VOUCHER_EVENT_TYPES
from shared.erasure.use_case import erasure_cut, erasure_from_news
from shared.kafka.chunks import BatchHandler, cut_at
from shared.kafka.dispatch import SKIP, Dispatch, Route, routes_for

PROFILES, NOTIFY, ERASE = "take_profiles", "notify_members", "erase_once"  # the use cases

# Event type → translator (event → command) → use case. A chunk's profiles are taken first
# (a welcome in the same chunk already finds the language), then its notices; an erasure is
# carried out alone, between the chunk's parts.
ROUTES = Dispatch(
    "the awards or ledger topic",
    {
        MEMBER_PROFILE_CHANGED: Route(messages.profile, PROFILES),
        MEMBER_TIER_CHANGED: Route(messages.tier_news, NOTIFY),
        **routes_for(LEDGER_EVENT_TYPES, Route(messages.ledger_news, NOTIFY)),
        POINTS_EXPIRING: Route(messages.points_expiring, NOTIFY),
        OFFER_GRANTED: Route(messages.offer_granted, NOTIFY),
        CHALLENGE_COMPLETED: Route(messages.challenge_news, NOTIFY),
        CHALLENGE_PROGRESSED: Route(messages.challenge_news, NOTIFY),
        **routes_for(VOUCHER_EVENT_TYPES, Route(messages.voucher_news, NOTIFY)),
        MEMBER_ERASED: Route(erasure_from_news, ERASE, cuts=True),  # the rules' or the ledger's
        # For the ledger: it tells the member what it did to the points.
        POINTS_DECIDED: SKIP,
        POINTS_AWARDED: SKIP,
        POINTS_REVOKED: SKIP,
    },
)


def notice_handler(
    uow_factory: Callable[[], UnitOfWork],
    *,
    templates: TemplateBook | None = None,
    digest_window: timedelta = timedelta(0),
) -> BatchHandler:
    """A member's erasure (from the rules or the ledger, whichever comes first) cuts the
    chunk: news of them after it is dropped."""

    erase = erasure_cut(ROUTES.command, uow_factory)

    async def handle(events: Sequence[CloudEvent]) -> dict[int, str]:
        return await cut_at(events, ROUTES.cuts, notify, erase)

    async def notify(events: Sequence[CloudEvent]) -> dict[int, str]:
        chunk = ROUTES.sort(events)
        if profiles := chunk.of(PROFILES).commands:
            await take_profiles(profiles, uow=uow_factory())
        if notices := chunk.of(NOTIFY).commands:
            await notify_members(
                notices, uow=uow_factory(), templates=templates, digest_window=digest_window
            )
        return chunk.take_rejected()

    return handle
