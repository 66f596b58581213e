"""What the ledger is asked to do."""

from dataclasses import dataclass, field
from datetime import datetime

# The language the explanations are written in: how to tell the member, not what was asked,
# so not part of a command's fingerprint (decisions booked before it existed stay repeats).
NOT_FINGERPRINTED = {"fingerprint": False}


@dataclass(frozen=True, slots=True)
class RecordAward:
    award_id: str
    member_id: str
    points: int
    rule_id: str
    rule_version: int
    explanation: str
    source_event_id: str
    pending_until: datetime | None


@dataclass(frozen=True, slots=True)
class RevokePoints:
    revocation_id: str
    member_id: str
    points: int
    revokes_event_id: str
    rule_id: str
    rule_version: int
    explanation: str
    source_event_id: str


@dataclass(frozen=True, slots=True)
class AwardedPoints:
    """One rule's award inside a :class:`RecordDecision`."""

    award_id: str
    points: int
    rule_id: str
    rule_version: int
    explanation: str
    pending_until: datetime | None
    # The message its rule asks for: how to tell the member, not what was asked.
    notice: str | None = field(default=None, metadata=NOT_FINGERPRINTED)


@dataclass(frozen=True, slots=True)
class RevokedPoints:
    """One rule's take-back inside a :class:`RevokeDecision`."""

    revocation_id: str
    points: int
    revokes_event_id: str
    rule_id: str
    rule_version: int
    explanation: str
    revokes_award_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordDecision:
    """Everything the rules awarded one member for one event: one operation."""

    decision_id: str
    member_id: str
    source_event_id: str
    awards: tuple[AwardedPoints, ...]
    language: str | None = field(default=None, metadata=NOT_FINGERPRINTED)


@dataclass(frozen=True, slots=True)
class RevokeDecision:
    """Everything the rules took back from one member for one event (a return)."""

    decision_id: str
    member_id: str
    source_event_id: str
    revocations: tuple[RevokedPoints, ...]
    language: str | None = field(default=None, metadata=NOT_FINGERPRINTED)


# What the awards topic asks of the ledger: today's decisions, and the one-award messages of
# rules from before them (booked exactly as they were then: same operation ids, same
# fingerprints), so both may be in flight during a rolling upgrade.
PointsCommand = RecordDecision | RevokeDecision | RecordAward | RevokePoints


@dataclass(frozen=True, slots=True)
class RedeemPoints:
    redemption_id: str
    member_id: str
    points: int
    description: str
    hold_seconds: int | None = None  # hold (two-phase) for this long instead of spending now


@dataclass(frozen=True, slots=True)
class SettleRedemption:
    """Capture (``capture=True``) or release a held redemption."""

    redemption_id: str
    member_id: str
    capture: bool


@dataclass(frozen=True, slots=True)
class AdjustPoints:
    adjustment_id: str
    member_id: str
    points: int
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class RunDueWork:
    """Mature, expire and release what is due for one member (the scheduled jobs' step)."""

    member_id: str


@dataclass(frozen=True, slots=True)
class RedeemReward:
    redemption_id: str
    member_id: str
    reward_id: str


# Everything asked of the ledger that is booked once under its operation id (the fingerprint
# of the command is kept with it).
LedgerCommand = PointsCommand | RedeemPoints | SettleRedemption | AdjustPoints | RedeemReward


@dataclass(frozen=True, slots=True)
class NotePrice:
    """An offer made a reward cheaper for the member: ``points``, until ``valid_until``."""

    member_id: str
    reward_id: str
    offer_id: str
    points: int
    valid_until: datetime | None
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class NoteTier:
    """The rules moved a member to ``tier``: kept with the account (news, not points)."""

    member_id: str
    tier: str
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class GiveReward:
    """A catalogue reward given free (a challenge's prize): a voucher for no points, once per
    ``gift_id``."""

    member_id: str
    reward_id: str
    gift_id: str
    given_at: datetime
