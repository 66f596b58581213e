"""The ledger's consumer of ``loyalty.awards.v1``: what handles each event type (the
:data:`ROUTES` table), and the chunk handler that carries the commands out."""

from collections.abc import Callable, Sequence

from services.ledger.adapters import messages
from services.ledger.domain.model import Policy
from services.ledger.service_layer.gifts import give_rewards
from services.ledger.service_layer.points import book_points, note_prices
from services.ledger.service_layer.rewards_unit_of_work import RewardsUnitOfWork
from services.ledger.service_layer.unit_of_work import UnitOfWork
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
from shared.erasure.use_case import erasure_cut, erasure_from_news
from shared.kafka.chunks import BatchHandler, cut_at
from shared.kafka.dispatch import SKIP, Dispatch, Route

BOOK, PRICES, GIFTS, ERASE = "book_points", "note_prices", "give_rewards", "erase_once"

# Event type → translator (event → command) → use case. A chunk's points and tier news are
# booked in one transaction; an erasure is carried out alone, between the chunk's parts.
ROUTES = Dispatch(
    "the awards topic",
    {
        POINTS_DECIDED: Route(messages.decision, BOOK),
        MEMBER_TIER_CHANGED: Route(messages.tier, BOOK),
        MEMBER_ERASED: Route(erasure_from_news, ERASE, cuts=True),
        # One-award messages of rules before decisions, while a rolling upgrade needs them.
        POINTS_AWARDED: Route(messages.award, BOOK),
        POINTS_REVOKED: Route(messages.revocation, BOOK),
        MEMBER_PROFILE_CHANGED: SKIP,  # for the services that speak to members
        OFFER_GRANTED: Route(messages.offer_price, PRICES),  # a cheaper reward, if one
        # A challenge's points arrive in its points.decided, the badge is the rules'; its
        # catalogue reward, if one, is given here.
        CHALLENGE_COMPLETED: Route(messages.challenge_prize, GIFTS),
        CHALLENGE_PROGRESSED: SKIP,
    },
)


def award_handler(
    uow_factory: Callable[[], UnitOfWork],
    policy: Policy,
    on_committed: Callable[[], None],
    gifts_uow: Callable[[], RewardsUnitOfWork] | None = None,
) -> BatchHandler:
    """Books a chunk of decisions, and the members' tier news, as one transaction. A member's
    erasure (the rules' ``member.erased``) cuts the chunk: what came before it is booked
    first, what comes after finds the account no one's."""

    erase = erasure_cut(ROUTES.command, uow_factory, on_committed)

    async def handle(events: Sequence[CloudEvent]) -> dict[int, str]:
        return await cut_at(events, ROUTES.cuts, book, erase)

    async def book(events: Sequence[CloudEvent]) -> dict[int, str]:
        chunk = ROUTES.sort(events)
        commands = chunk.of(BOOK)
        if commands.commands:
            booked = await book_points(commands.commands, uow=uow_factory(), policy=policy)
            for index, error in booked.rejected.items():
                commands.reject(index, str(error))
            if booked.operations:
                on_committed()
        if prices := chunk.of(PRICES).commands:
            await note_prices(prices, uow=uow_factory())
        gifts = chunk.of(GIFTS).commands
        if gifts and gifts_uow is not None and await give_rewards(gifts, uow_factory=gifts_uow):
            on_committed()
        return chunk.take_rejected()

    return handle
