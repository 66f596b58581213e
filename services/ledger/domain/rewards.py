"""The rewards catalogue and vouchers. Pure: the standard library only."""

import dataclasses
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.wording import grouped


class RewardKind(StrEnum):
    DISCOUNT_VOUCHER = "discount_voucher"
    FREE_PRODUCT = "free_product"
    EXPERIENCE = "experience"
    DONATION = "donation"
    PARTNER_REWARD = "partner_reward"


class VoucherStatus(StrEnum):
    ISSUED = "issued"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class Reward:
    reward_id: str
    kind: RewardKind
    cost_points: int
    names: dict[str, str]
    descriptions: dict[str, str] = field(default_factory=dict)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    stock_total: int | None = None  # None: unlimited
    stock_left: int | None = None
    per_member_limit: int | None = None
    min_tier: str | None = None
    voucher_valid_days: int = 30
    refund_on_expiry: bool = False
    details: dict[str, str] = field(default_factory=dict)  # amount, percent, min_basket, sku
    funded_by: str | None = None
    enabled: bool = True

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.reward_id


# Why not, in the member's language (the catalogue's names and descriptions are theirs too).
_WHY_NOT = {
    "en": {
        "closed": "not available now",
        "stock": "out of stock",
        "limit": "limit of {limit} per member reached",
        "tier": "for {tier} members and above",
        "points": "needs {cost} points, {available} available",
    },
    "da": {
        "closed": "ikke tilgængelig nu",
        "stock": "udsolgt",
        "limit": "højst {limit} pr. medlem, og dem har du fået",
        "tier": "for {tier}-medlemmer og derover",
        "points": "kræver {cost} point, du har {available}",
    },
    "sv": {
        "closed": "inte tillgänglig nu",
        "stock": "slut i lager",
        "limit": "högst {limit} per medlem, och dem har du fått",
        "tier": "för {tier}-medlemmar och uppåt",
        "points": "kräver {cost} poäng, du har {available}",
    },
}


def why_not(
    reward: Reward,
    *,
    now: datetime,
    available: int,
    tier: str,
    tier_order: list[str],
    redeemed_by_member: int,
    language: str = "en",
) -> list[str]:
    """Why this member cannot have this reward now, in ``language`` (da, sv, else English);
    empty when they can."""
    texts = _WHY_NOT.get(language, _WHY_NOT["en"])
    reasons = []
    if (
        not reward.enabled
        or (reward.valid_from and now < reward.valid_from)
        or (reward.valid_until and now >= reward.valid_until)
    ):
        reasons.append(texts["closed"])
    if reward.stock_left is not None and reward.stock_left <= 0:
        reasons.append(texts["stock"])
    if reward.per_member_limit is not None and redeemed_by_member >= reward.per_member_limit:
        reasons.append(texts["limit"].format(limit=reward.per_member_limit))
    if reward.min_tier is not None and _rank(tier, tier_order) < _rank(reward.min_tier, tier_order):
        reasons.append(texts["tier"].format(tier=reward.min_tier.capitalize()))
    if available < reward.cost_points:
        cost, have = (grouped(n, language) for n in (reward.cost_points, max(available, 0)))
        reasons.append(texts["points"].format(cost=cost, available=have))
    return reasons


def at_member_price(reward: Reward, prices: Mapping[str, tuple[int, str]]) -> Reward:
    """The reward at the member's price: an offer's (points, offer), when one made it
    cheaper for them."""
    price = prices.get(reward.reward_id)
    if price is None or price[0] >= reward.cost_points:
        return reward
    return dataclasses.replace(reward, cost_points=price[0])


def _rank(tier: str, order: list[str]) -> int:
    return order.index(tier) if tier in order else 0


_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud at a till


def new_voucher_code() -> str:
    """12 random characters (60 bits) from an unambiguous alphabet, as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


@dataclass(slots=True)
class Voucher:
    code: str
    reward_id: str
    member_id: str
    redemption_id: str
    points: int
    status: VoucherStatus
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_where: str | None = None
    used_key: str | None = None  # the till's idempotency key for its use: its retry is no use
