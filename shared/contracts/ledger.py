"""Payloads on ``loyalty.ledger.v1``: one event per ledger operation, with the balance after it.

The event ``type`` is ``points.<kind>``; ``kind`` is one of :data:`LEDGER_KINDS`.
"""

from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.contracts.awards import NoticeKind

LedgerKind = Literal[
    "earned",
    "matured",
    "reversed",
    "redeemed",
    "held",
    "captured",
    "released",
    "expired",
    "adjusted",
    "refunded",
]
LEDGER_KINDS: tuple[str, ...] = get_args(LedgerKind)
POINTS_EARNED = "points.earned"


def ledger_event_type(kind: str) -> str:
    return f"points.{kind}"


class BalanceSnapshot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    available: int
    pending: int
    held: int = 0
    lifetime_earned: int
    lifetime_redeemed: int = 0


class Posting(BaseModel):
    """One double entry: ``points`` move from ``debit_account`` to ``credit_account``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry_id: str
    debit_account: str
    credit_account: str
    points: int = Field(gt=0)


class EarnedPart(BaseModel):
    """One rule's share of an operation that several rules caused (an earning or reversal
    for one event): its points and why, in the member's language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    points: int = Field(gt=0)
    rule_id: str | None = None
    rule_version: int | None = None
    explanation: str
    status: Literal["pending", "available"] | None = None


class LedgerEvent(BaseModel):
    """What one ledger operation did to a member's points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operation_id: str = Field(min_length=1, max_length=250)
    member_id: str = Field(min_length=1, max_length=200)
    kind: LedgerKind
    points: int = Field(description="points the operation moved (sum of its postings)")
    status: Literal["pending", "available", "partly_pending"] | None = Field(
        default=None, description="for 'earned': whether the points wait for a return window"
    )
    explanation: str
    rule_id: str | None = None
    rule_version: int | None = None
    source_event_id: str | None = None
    recorded_at: AwareDatetime
    postings: list[Posting]
    balance: BalanceSnapshot
    parts: list[EarnedPart] = Field(
        default_factory=list, description="each rule's share, when several rules moved points"
    )
    language: str | None = Field(
        default=None, max_length=10, description="of the explanations, when the rules said"
    )
    explanations: dict[str, str] | None = Field(
        default=None, description="the ledger's own explanation in each language it has"
    )
    notice: NoticeKind | None = Field(
        default=None,
        description="for 'earned': the message its rule asks for (None: the points message)",
    )


POINTS_EXPIRING = "points.expiring"


class PointsExpiring(BaseModel):
    """A reminder, not an operation: ``points`` of the member's points expire at ``expires_at``
    (the earliest of them) unless spent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: str
    points: int = Field(gt=0)
    expires_at: AwareDatetime
    available: int


VOUCHER_EVENT_PREFIX = "voucher."
VoucherStatus = Literal["issued", "used", "cancelled", "expired"]
VOUCHER_EVENT_TYPES: tuple[str, ...] = tuple(
    f"{VOUCHER_EVENT_PREFIX}{status}" for status in get_args(VoucherStatus)
)
LEDGER_EVENT_TYPES: tuple[str, ...] = tuple(f"points.{kind}" for kind in LEDGER_KINDS)


class VoucherEvent(BaseModel):
    """A voucher's life on ``loyalty.ledger.v1``: ``voucher.issued``, ``.used``, ``.cancelled``,
    ``.expired``. The code is the member's to show at the till."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    member_id: str
    reward_id: str
    reward_name: str
    reward_names: dict[str, str] = Field(
        default_factory=dict, description="the reward's name in each language it has"
    )
    status: VoucherStatus
    points: int
    expires_at: AwareDatetime
    used_at: AwareDatetime | None = None
    refunded: bool = False
