"""Member state and purchase records to and from JSON columns."""

from decimal import Decimal
from typing import Any

import msgspec

from services.rules.domain.member import MemberState
from services.rules.domain.returns import EarnedShare, PurchaseRecord
from shared.contracts.json import JsonText, loads_column

# msgspec writes the dataclass as it is, field by field in their order (a nested dataclass as
# an object, an enum as its value, a moment in ISO 8601), several times faster than building
# the dict in Python: this runs for every event. The version is the last field and has a
# column of its own: it is cut off. A reader of the older form reads this one, and back.
_ENCODE = msgspec.json.Encoder().encode
_VERSION = b',"version":'


def member_json(member: MemberState) -> JsonText:
    """The state column's JSON for the member."""
    raw = _ENCODE(member)
    cut = raw.rindex(_VERSION)  # the last field's: a nested "version" comes before it
    return JsonText(raw[:cut].decode() + "}")


def member_to_json(member: MemberState) -> dict[str, Any]:
    """The state column's value, as a dict (for a statement that is not a chunk's)."""
    parsed: dict[str, Any] = loads_column(str(member_json(member)))
    return parsed


def member_from_json(member_id: str, data: dict[str, Any], version: int) -> MemberState:
    """The member from their state column (by type: moments and dates parsed, nested
    objects made their dataclasses); ``member_id`` and ``version`` from their columns."""
    return msgspec.convert(
        {**data, "member_id": member_id, "version": version}, MemberState, strict=False
    )


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
