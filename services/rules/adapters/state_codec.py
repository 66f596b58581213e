"""Member state and purchase records to and from JSON columns."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.rules.domain.audiences import Group, OfferHolding
from services.rules.domain.challenges import Progress
from services.rules.domain.member import MemberState, RuleUsage
from services.rules.domain.returns import EarnedShare, PurchaseRecord


def member_to_json(member: MemberState) -> dict[str, Any]:
    """Field by field: ``dataclasses.asdict`` deep-copies, and this runs for every event."""
    m = member
    return {
        "member_id": m.member_id,
        "enrolled_at": _iso(m.enrolled_at),
        "birthday": _iso(m.birthday),
        "language": m.language,
        "timezone": m.timezone,
        "tier": m.tier,
        "purchases_total": m.purchases_total,
        "purchases_by_month": dict(m.purchases_by_month),
        "spend_by_month": dict(m.spend_by_month),
        "points_by_month": dict(m.points_by_month),
        "categories_bought": list(m.categories_bought),
        "last_purchase_at": _iso(m.last_purchase_at),
        "referrals": m.referrals,
        "complaints_resolved": m.complaints_resolved,
        "usage": {
            rule: {
                "day": u.day,
                "day_points": u.day_points,
                "month": u.month,
                "month_points": u.month_points,
                "total_points": u.total_points,
                "years": list(u.years),
            }
            for rule, u in m.usage.items()
        },
        "daily": {day: list(v) for day, v in m.daily.items()},
        "channels": dict(m.channels),
        "nps_score": m.nps_score,
        "attributes": dict(m.attributes),
        "audiences": dict(m.audiences),
        "offers": {
            offer: {
                "group": h.group.value,
                "since": h.since.isoformat(),
                "activated_at": _iso(h.activated_at),
            }
            for offer, h in m.offers.items()
        },
        "challenges": {
            c: {
                "started": p.started,
                "count": p.count,
                "last": p.last,
                "seen": list(p.seen),
                "completed_at": p.completed_at,
            }
            for c, p in m.challenges.items()
        },
        "badges": dict(m.badges),
        "open_complaints": list(m.open_complaints),
        "last_review_at": _iso(m.last_review_at),
        "last_referral_at": _iso(m.last_referral_at),
        "stage": m.stage,
        "stage_since": m.stage_since,
    }


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def member_from_json(member_id: str, data: dict[str, Any], version: int) -> MemberState:
    data = dict(data)
    for key in ("enrolled_at", "last_purchase_at", "last_review_at", "last_referral_at"):
        data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
    data["birthday"] = date.fromisoformat(data["birthday"]) if data.get("birthday") else None
    data["usage"] = {k: RuleUsage(**v) for k, v in data.get("usage", {}).items()}
    data["offers"] = {
        k: OfferHolding(
            group=Group(v["group"]),
            since=datetime.fromisoformat(v["since"]),
            activated_at=datetime.fromisoformat(v["activated_at"]) if v["activated_at"] else None,
        )
        for k, v in data.get("offers", {}).items()
    }
    data["challenges"] = {k: Progress(**v) for k, v in data.get("challenges", {}).items()}
    data["member_id"] = member_id
    return MemberState(**data, version=version)


def purchase_to_json(record: PurchaseRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "currency": record.currency,
        "paid": str(record.paid),
        "returned": str(record.returned),
        "shares": {
            k: {"rule_version": v.rule_version, "points": v.points, "revoked": v.revoked}
            for k, v in record.shares.items()
        },
    }
    if record.sent_as is not None:  # how the sender and the member name it
        data |= {"source": record.sent_as[0], "id": record.sent_as[1]}
    if record.counted is not None:  # paid in another currency than the program's
        data |= {
            "rate": str(record.rate),
            "counted": str(record.counted),
            "counted_in": record.counted_in,
        }
    return data


def purchase_from_json(event_id: str, member_id: str, data: dict[str, Any]) -> PurchaseRecord:
    return PurchaseRecord(
        event_id=event_id,
        member_id=member_id,
        currency=data["currency"],
        paid=Decimal(data["paid"]),
        returned=Decimal(data["returned"]),
        shares={k: EarnedShare(**v) for k, v in data["shares"].items()},
        rate=Decimal(data.get("rate", 1)),
        counted=Decimal(data["counted"]) if data.get("counted") else None,
        counted_in=data.get("counted_in"),
        sent_as=(data["source"], data["id"]) if "id" in data else None,
    )
