"""How each event changes what the rules know of the member (before the rules evaluate it)."""

from datetime import date
from typing import Any

from services.rules.domain.member import MemberState, month_key
from services.rules.domain.model import LoyaltyEvent

# A profile's known fields: the others a sender adds are the member's custom attributes.
_PROFILE_FIELDS = frozenset(
    {
        "channel",
        "birthday",
        "language",
        "timezone",
        "email",
        "push_token",
        "phone",
        "consents",
        "fields",
    }
)
MAX_ATTRIBUTES = 50


def observe(member: MemberState, event: LoyaltyEvent) -> None:
    moment = event.occurred_at
    match event.event_type:
        case "purchase.completed" if event.purchase is not None:
            month = month_key(moment)
            member.purchases_total += 1
            member.purchases_by_month[month] = member.purchases_by_month.get(month, 0) + 1
            member.spend(moment, event.purchase.paid)
            member.bought(moment, event.purchase.paid)
            if channel := str(event.data.get("channel") or ""):
                member.channels[channel] = member.channels.get(channel, 0) + 1
            for line in event.purchase.lines:
                if line.category not in member.categories_bought:
                    member.categories_bought.append(line.category)
            member.last_purchase_at = moment
        case "purchase.returned" if event.returned is not None:
            member.spend(moment, -event.returned.amount)
        case "member.enrolled" | "member.profile_completed" | "member.profile_updated":
            if event.event_type == "member.enrolled":
                member.enrolled_at = member.enrolled_at or moment
            member.language = str(event.data.get("language") or member.language)
            member.timezone = str(event.data.get("timezone") or member.timezone)
            if birthday := event.data.get("birthday"):
                member.birthday = date.fromisoformat(str(birthday))
            _attributes(member, event.data)
        case "member.activity" if event.data.get("activity") == "nps_answer":
            score = event.data.get("score")
            if isinstance(score, int):
                member.nps_score = score
        case "member.activity" if event.data.get("activity") == "review":
            member.last_review_at = max(moment, member.last_review_at or moment)
        case "referral.completed":
            member.referrals += 1
            member.last_referral_at = max(moment, member.last_referral_at or moment)
        case "complaint.opened":
            complaint = str(event.data.get("complaint_id"))
            if complaint not in member.open_complaints and len(member.open_complaints) < 100:
                member.open_complaints.append(complaint)
        case "complaint.resolved":
            member.complaints_resolved += 1
            complaint = str(event.data.get("complaint_id"))
            if complaint in member.open_complaints:
                member.open_complaints.remove(complaint)
        case "offer.activated":
            held = member.offers.get(str(event.data.get("offer_id")))
            if held is not None and held.activated_at is None:
                held.activated_at = moment


def _attributes(member: MemberState, data: dict[str, Any]) -> None:
    """The sender's own profile fields (a store, a segment): plain values, the newest kept."""
    for key, value in data.items():
        if key in _PROFILE_FIELDS or not isinstance(value, str | int | float | bool):
            continue
        if key in member.attributes or len(member.attributes) < MAX_ATTRIBUTES:
            member.attributes[key] = value
