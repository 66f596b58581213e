"""The member state's codec as the previous release wrote and read it (rolling upgrades:
both releases run at once), kept to test the new one against."""

from datetime import date, datetime
from typing import Any

from services.rules.domain.audiences import Group, OfferHolding
from services.rules.domain.challenges import Progress
from services.rules.domain.member import MemberState, RuleUsage


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
