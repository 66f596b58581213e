"""Awards and revocations as they travel on ``loyalty.awards.v1``."""

from collections.abc import Sequence
from typing import Any

from services.rules.adapters.decided_json import awarded, decided_data, revoked
from services.rules.domain.audiences import Activation, Grant, Group, RewardPrice
from services.rules.domain.model import Award, Decision, LoyaltyEvent, Revocation, TierChange
from shared.contracts.awards import (
    MEMBER_PROFILE_CHANGED,
    MEMBER_TIER_CHANGED,
    OFFER_GRANTED,
    POINTS_DECIDED,
    OfferGranted,
    ProfileChanged,
    TierChanged,
)
from shared.contracts.envelope import CloudEvent, derived_id, new_event

SOURCE = "pointstream/rules"


# Events in which members tell us about themselves: passed on, before what they earned, so a
# welcome message already finds the member's language, timezone and consents.
PROFILE_TYPES = frozenset({"member.enrolled", "member.profile_completed", "member.profile_updated"})


def decision_events(decision: Decision, event: LoyaltyEvent) -> list[CloudEvent]:
    """The member's profile news (for a profile event), one ``points.decided`` per member the
    decision gives points to (a referral rule may reward another member than the one who
    acted) or takes points from; then the tier news."""
    awards: dict[str, list[dict[str, Any]]] = {}
    for a in decision.awards:
        awards.setdefault(a.member_id, []).append(awarded(a))
    revocations: dict[str, list[dict[str, Any]]] = {}
    for r in decision.revocations:
        revocations.setdefault(r.member_id, []).append(revoked(r))
    events = [profile_event(event)] if event.event_type in PROFILE_TYPES else []
    # One language per decision (the engine explains all of it in one).
    parts: list[Award | Revocation] = [*decision.awards, *decision.revocations]
    language = parts[0].language if parts else "en"
    events += [_decided(event, member, given, [], language) for member, given in awards.items()]
    events += [
        _decided(event, member, [], taken, language) for member, taken in revocations.items()
    ]
    if decision.tier_change is not None:
        events.append(tier_event(decision.tier_change))
    return events


def _decided(
    event: LoyaltyEvent,
    member_id: str,
    awards: list[dict[str, Any]],
    revocations: list[dict[str, Any]],
    language: str,
) -> CloudEvent:
    data = decided_data(event, member_id, awards, revocations, language)
    return new_event(
        id=data["decision_id"],
        source=SOURCE,
        type=POINTS_DECIDED,
        subject=member_id,
        data=data,
        time=event.occurred_at,
    )


def tier_event(change: TierChange) -> CloudEvent:
    payload = TierChanged(
        member_id=change.member_id,
        tier=change.tier,
        previous_tier=change.previous,
        qualifying_points=change.qualifying_points,
        changed_at=change.changed_at,
        tier_names=change.names.get(change.tier, {}),
        previous_tier_names=change.names.get(change.previous, {}),
    )
    return new_event(
        id=derived_id(change.cause_event_id, "tier", change.tier),
        source=SOURCE,
        type=MEMBER_TIER_CHANGED,
        subject=change.member_id,
        data=payload.model_dump(mode="json"),
        time=change.changed_at,
    )


def profile_event(event: LoyaltyEvent) -> CloudEvent:
    """What the member stated in ``event``, for the services that speak to them."""
    data = event.data
    consents = data.get("consents")
    if consents is None and event.event_type == "member.enrolled":
        consents = {"email": False, "push": False}  # enrolment is where consent is asked
    payload = ProfileChanged(
        member_id=event.member_id,
        source_event_id=event.event_id,
        stated_at=event.occurred_at,
        language=data.get("language"),
        timezone=data.get("timezone"),
        email=data.get("email"),
        push_token=data.get("push_token"),
        phone=data.get("phone"),
        consents=consents,
    )
    return new_event(
        id=derived_id(event.event_id, "profile"),
        source=SOURCE,
        type=MEMBER_PROFILE_CHANGED,
        subject=event.member_id,
        data=payload.model_dump(mode="json"),
        time=event.occurred_at,
    )


def offer_events(grants: Sequence[Grant]) -> list[CloudEvent]:
    """One ``offer.granted`` per offer that became a treated member's (the control group is
    only counted), in the member's language (English where the offer has no text in it)."""
    events = []
    for grant in grants:
        if grant.group != Group.TREATED:
            continue
        offer = grant.offer
        language = grant.language if grant.language in offer.name else "en"
        payload = OfferGranted(
            member_id=grant.member_id,
            offer_id=offer.offer_id,
            offer_version=offer.version,
            name=offer.name.get(language) or offer.offer_id,
            description=offer.description.get(language, ""),
            language=language,
            needs_activation=offer.activation == Activation.CLIP,
            valid_until=offer.active_until,
            granted_at=grant.at,
            **(
                {"reward_id": offer.effect.reward_id, "reward_points": offer.effect.points}
                if isinstance(offer.effect, RewardPrice)
                else {}
            ),
        )
        events.append(
            new_event(
                id=derived_id(offer.offer_id, "granted", grant.member_id),
                source=SOURCE,
                type=OFFER_GRANTED,
                subject=grant.member_id,
                data=payload.model_dump(mode="json"),
                time=grant.at,
            )
        )
    return events
