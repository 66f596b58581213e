"""Audiences and offers as a program manager changes them, what a member sees of their
offers, and each offer's lift."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.audiences_repository import AudiencesRepository
from services.rules.adapters.cel_engine import compile_audience, compile_offer
from services.rules.adapters.members_repository import MembersRepository
from services.rules.adapters.offer_specs import AudienceSpec, OfferSpec
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.domain.audiences import Activation, Group, Offer, RewardPrice
from services.rules.service_layer.lift import MemberOutcome, lift_report
from services.rules.service_layer.rulebook import RuleBook

Sessions = async_sessionmaker[AsyncSession]


class NotFound(LookupError):
    pass


class NotYours(ValueError):
    """An offer the member cannot activate: not theirs, ended, or needing no activation."""


async def save_audience(sessions: Sessions, spec: AudienceSpec, *, by: str) -> int:
    """Store the audience as its next version (compiled first: ExpressionError if it fails)."""
    compile_audience(spec.to_audience(1))
    async with sessions() as session, session.begin():
        return await ProgramRepository(session).save_versioned(spec, by=by)


async def save_offer(sessions: Sessions, spec: OfferSpec, *, by: str) -> int:
    """Store the offer as its next version; its audience must exist (LookupError)."""
    offer = spec.to_offer(1)
    if offer.gives_points:
        compile_offer(offer)
    async with sessions() as session, session.begin():
        program = ProgramRepository(session)
        known = {a.id for a, _ in await program.audiences_in_force()}
        if spec.audience not in known:
            raise NotFound(f"no audience {spec.audience!r}; create it first")
        return await program.save_versioned(spec, by=by)


def offer_view(offer: Offer, spec: OfferSpec | None = None) -> dict[str, Any]:
    return {
        "id": offer.offer_id,
        "version": offer.version,
        "name": offer.name,
        "audience": offer.audience,
        "activation": offer.activation.value,
        "control_share": str(offer.control_share),
        "active_from": offer.active_from.isoformat() if offer.active_from else None,
        "active_until": offer.active_until.isoformat() if offer.active_until else None,
        "enabled": offer.enabled,
        **({"spec": spec.model_dump(mode="json")} if spec is not None else {}),
    }


async def member_offers(
    sessions: Sessions, book: RuleBook, member_id: str, *, now: datetime
) -> list[dict[str, Any]]:
    """The offers that are the member's now (never the control group's), in their language,
    with what is left of each: points still to get under the per-member limit, and whether
    it waits to be activated."""
    book = await book.refreshed()
    async with sessions() as session:
        member = await MembersRepository(session).member(member_id)
    language = member.language
    found = []
    for offer_id, held in sorted(member.offers.items(), key=lambda kv: kv[1].since):
        offer = book.offers.get(offer_id)
        if offer is None or held.group != Group.TREATED or not offer.is_live(now):
            continue
        used = member.usage.get(offer.rule_id)
        earned = used.total_points if used else 0
        limit = offer.per_member_limit
        found.append(
            {
                "id": offer.offer_id,
                "name": offer.name.get(language) or offer.name["en"],
                "description": offer.description.get(language) or offer.description.get("en", ""),
                "needs_activation": offer.activation == Activation.CLIP,
                "activated": held.activated_at is not None
                or offer.activation == Activation.AUTOMATIC,
                "since": held.since.isoformat(),
                "valid_until": offer.active_until.isoformat() if offer.active_until else None,
                "points_earned": earned,
                "points_left": None if limit is None else max(limit - earned, 0),
                "language": language,
                **(
                    {"reward_id": offer.effect.reward_id, "reward_points": offer.effect.points}
                    if isinstance(offer.effect, RewardPrice)
                    else {}
                ),
            }
        )
    return found


async def check_activation(
    sessions: Sessions, book: RuleBook, member_id: str, offer_id: str, *, now: datetime
) -> bool:
    """Whether the member may activate the offer (False: already activated); NotYours why
    not. The activation itself is an event (``offer.activated``), in order with the rest."""
    for offer in await member_offers(sessions, book, member_id, now=now):
        if offer["id"] == offer_id:
            if not offer["needs_activation"]:
                raise NotYours(f"offer {offer_id!r} applies without activation")
            return not offer["activated"]
    raise NotYours(f"offer {offer_id!r} is not this member's, or has ended")


async def offer_lift(
    sessions: Sessions, book: RuleBook, offer_id: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Treated against control over the offer's window: each member counted from when the
    offer became theirs (or would have) to the window's end or now."""
    now = now or datetime.now(UTC)
    book = await book.refreshed()
    offer = book.offers.get(offer_id)
    if offer is None:
        raise NotFound(f"no offer {offer_id!r}")
    until = min(offer.active_until, now) if offer.active_until else now
    async with sessions() as session:
        repo = AudiencesRepository(session)
        assigned = await repo.assignments(offer_id)
        since = min((at for _, _, at in assigned), default=offer.active_from or until)
        bought = await repo.purchases_of([m for m, _, _ in assigned], since, until)
    start = {m: at for m, _, at in assigned}
    tally: dict[str, list[Any]] = {m: [0, Decimal(0), 0] for m in start}
    for member_id, at, paid, record in bought:
        if at < start[member_id]:
            continue
        row = tally[member_id]
        row[0] += 1
        row[1] += Decimal(paid or 0)
        share = record.get("shares", {}).get(offer.rule_id)
        if share:
            row[2] += share["points"] - share.get("revoked", 0)
    outcomes = [
        MemberOutcome(group=g, purchases=tally[m][0], spend=tally[m][1], points=tally[m][2])
        for m, g, _ in assigned
    ]
    report = lift_report(outcomes, since=since if assigned else None, until=until)
    return {"offer": offer_view(offer), **report}


async def reached(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Per offer, how many members it reached in each group."""
    return await AudiencesRepository(session).reached()
