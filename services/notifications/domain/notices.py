"""What happened that a member may want to hear about. Pure: the standard library only."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    """What members opt in or out of, per channel."""

    POINTS = "points"  # earned, matured, returned, expired, adjusted
    REWARDS = "rewards"  # redemptions and vouchers
    TIER = "tier"
    BIRTHDAY = "birthday"
    SERVICE = "service"  # the welcome, goodwill after a complaint
    OFFERS = "offers"  # an offer became the member's
    CHALLENGES = "challenges"  # a challenge completed (a badge earned), or nearly


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    PUSH = "push"


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell one member: ``kind`` picks the template, ``values`` fill it."""

    cause_id: str  # the event's id: with kind and channel, the key that de-duplicates
    member_id: str
    kind: str
    category: Category
    occurred_at: datetime
    values: dict[str, Any] = field(default_factory=dict)
    transactional: bool = False  # a receipt: sent even in quiet hours, whatever the opt-outs
    digestible: bool = False  # small news that may be folded into a digest


# The messages a rule may ask for (its spec's ``notice``) instead of the points message.
RULE_NOTICES = {
    "welcome": Category.SERVICE,
    "birthday": Category.BIRTHDAY,
    "goodwill": Category.SERVICE,
}


def notice_for_ledger(cause_id: str, kind: str, data: dict[str, Any]) -> Notice | None:
    """The notice for a ledger event (``points.<kind>``), or None when it is not news."""
    asked = data.get("notice")
    values = {
        "points": data.get("points", 0),
        "explanation": data.get("explanation", ""),
        "available": data.get("balance", {}).get("available", 0),
        "pending": data.get("status") == "pending",
        # The language the explanation is in: the message follows it (one language each).
        "language": data.get("language"),
        "explanations": data.get("explanations") or {},  # the ledger's own, per language
    }
    occurred = datetime.fromisoformat(str(data["recorded_at"]))
    member = str(data["member_id"])
    if kind == "earned" and asked in RULE_NOTICES:
        return Notice(cause_id, member, asked, RULE_NOTICES[asked], occurred, values)
    if kind in ("earned", "matured", "reversed", "expired", "adjusted", "refunded"):
        return Notice(
            cause_id,
            member,
            f"points_{kind}",
            Category.POINTS,
            occurred,
            values,
            digestible=kind == "earned",
        )
    if kind == "redeemed":
        return Notice(
            cause_id,
            member,
            "points_redeemed",
            Category.REWARDS,
            occurred,
            values,
            transactional=True,
        )
    return None  # holds, captures and releases are steps of a redemption, not news


def notice_for_voucher(cause_id: str, data: dict[str, Any], occurred: datetime) -> Notice:
    values = {
        k: data.get(k)
        for k in ("code", "reward_name", "reward_names", "points", "expires_at", "refunded")
    }
    status = str(data["status"])
    return Notice(
        cause_id,
        str(data["member_id"]),
        f"voucher_{status}",
        Category.REWARDS,
        occurred,
        values,
        transactional=status == "issued",
    )


def notice_for_tier(cause_id: str, data: dict[str, Any]) -> Notice:
    return Notice(
        cause_id,
        str(data["member_id"]),
        "tier_changed",
        Category.TIER,
        datetime.fromisoformat(str(data["changed_at"])),
        {
            "tier": data["tier"],
            "previous_tier": data["previous_tier"],
            "tier_names": data.get("tier_names") or {},
            "previous_tier_names": data.get("previous_tier_names") or {},
        },
    )
