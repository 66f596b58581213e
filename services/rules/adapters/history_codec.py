"""Events as the history for replays keeps them: in the program's currency, with what rules
read (the payload's plain values, the purchase and its lines)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from services.rules.adapters.facts import plain
from services.rules.domain.model import LoyaltyEvent, Purchase, PurchaseLine

# How to reach the member is never kept here: no rule needs it to decide.
_CONTACT = frozenset({"email", "phone", "push_token"})


def event_to_json(event: LoyaltyEvent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": event.event_type,
        "time": event.occurred_at.isoformat(),
        "data": plain({k: v for k, v in event.data.items() if k not in _CONTACT}),
        "source": event.source,
        "id": event.sent_id,
    }
    if (p := event.purchase) is not None:
        data["purchase"] = {
            "currency": p.currency,
            "total": str(p.total),
            "with_points": str(p.paid_with_points),
            "lines": [
                [ln.sku, ln.category, str(ln.quantity), str(ln.unit_price), list(ln.tags)]
                + ([plain(ln.attributes)] if ln.attributes else [])
                for ln in p.lines
            ],
        }
    return data


def event_from_json(event_id: str, member_id: str, data: dict[str, Any]) -> LoyaltyEvent:
    purchase = None
    if (p := data.get("purchase")) is not None:
        purchase = Purchase(
            currency=p["currency"],
            total=Decimal(p["total"]),
            paid_with_points=Decimal(p["with_points"]),
            lines=tuple(
                PurchaseLine(
                    sku=ln[0],
                    category=ln[1],
                    quantity=Decimal(ln[2]),
                    unit_price=Decimal(ln[3]),
                    tags=tuple(ln[4]),
                    attributes=ln[5] if len(ln) > 5 else {},
                )
                for ln in p["lines"]
            ),
        )
    return LoyaltyEvent(
        event_id=event_id,
        event_type=data["type"],
        member_id=member_id,
        occurred_at=datetime.fromisoformat(data["time"]),
        purchase=purchase,
        data=data["data"],
        source=data.get("source", ""),
        sent_id=data.get("id", ""),
    )
