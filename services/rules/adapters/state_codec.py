"""Member state and purchase records to and from JSON columns."""

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.rules.domain.member import MemberState, RuleUsage
from services.rules.domain.returns import EarnedShare, PurchaseRecord


def member_to_json(member: MemberState) -> dict[str, Any]:
    data = asdict(member)
    data.pop("version")
    for key in ("enrolled_at", "last_purchase_at", "birthday"):
        value = data[key]
        data[key] = value.isoformat() if value is not None else None
    return data


def member_from_json(member_id: str, data: dict[str, Any], version: int) -> MemberState:
    data = dict(data)
    for key in ("enrolled_at", "last_purchase_at"):
        data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
    data["birthday"] = date.fromisoformat(data["birthday"]) if data.get("birthday") else None
    data["usage"] = {k: RuleUsage(**v) for k, v in data.get("usage", {}).items()}
    data["member_id"] = member_id
    return MemberState(**data, version=version)


def purchase_to_json(record: PurchaseRecord) -> dict[str, Any]:
    return {
        "currency": record.currency,
        "paid": str(record.paid),
        "returned": str(record.returned),
        "shares": {k: asdict(v) for k, v in record.shares.items()},
    }


def purchase_from_json(event_id: str, member_id: str, data: dict[str, Any]) -> PurchaseRecord:
    return PurchaseRecord(
        event_id=event_id,
        member_id=member_id,
        currency=data["currency"],
        paid=Decimal(data["paid"]),
        returned=Decimal(data["returned"]),
        shares={k: EarnedShare(**v) for k, v in data["shares"].items()},
    )
