"""A member's points: balances, lots and redemptions, changed only through operations that post
double entries. Pure: the standard library only.

Invariants (checked by :meth:`MemberAccount.check_invariants` and the reconciliation):
pending and held are never negative; available is negative only after a reversal of spent
points; the available lots hold exactly ``max(available, 0)`` points, the pending lots exactly
``pending``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.ledger.domain import accounts as acc
from services.ledger.domain.entries import BalanceView, Cause, Entry, EntryKind, Operation
from services.ledger.domain.errors import InvalidPoints
from services.ledger.domain.lots import Lot, LotStatus, take_oldest_first
from services.ledger.domain.redemptions import Redemption


@dataclass(frozen=True, slots=True)
class Policy:
    """Program settings the ledger applies: how long available points live."""

    expire_after: timedelta | None = None

    def expiry(self, available_since: datetime) -> datetime | None:
        return None if self.expire_after is None else available_since + self.expire_after


class MemberAccount:
    def __init__(
        self,
        member_id: str,
        *,
        available: int = 0,
        pending: int = 0,
        held: int = 0,
        lifetime_earned: int = 0,
        lifetime_redeemed: int = 0,
        version: int = 0,
        lots: Iterable[Lot] = (),
        redemptions: Iterable[Redemption] = (),
    ) -> None:
        self.member_id = member_id
        self.available, self.pending, self.held = available, pending, held
        self.lifetime_earned, self.lifetime_redeemed = lifetime_earned, lifetime_redeemed
        self.version = version
        self.lots = {lot.lot_id: lot for lot in lots}
        self.redemptions = {r.redemption_id: r for r in redemptions}
        self.operations: list[Operation] = []
        self.changed_lots: set[str] = set()
        self.changed_redemptions: set[str] = set()

    # -- reading -----------------------------------------------------------------------------
    def view(self) -> BalanceView:
        return BalanceView(
            self.available, self.pending, self.held, self.lifetime_earned, self.lifetime_redeemed
        )

    def lots_due_to_mature(self, now: datetime) -> list[Lot]:
        return sorted(
            (lot for lot in self.lots.values() if lot.is_due_to_mature(now)),
            key=lambda lot: (lot.matures_at or lot.created_at, lot.lot_id),
        )

    def lots_to_remind(self, now: datetime, within: timedelta) -> list[Lot]:
        """Available lots expiring within ``within`` that the member was not told about."""
        return [
            lot
            for lot in self.lots.values()
            if lot.status is LotStatus.AVAILABLE
            and lot.remaining > 0
            and lot.reminded_at is None
            and lot.expires_at is not None
            and now < lot.expires_at <= now + within
        ]

    def lots_due_to_expire(self, now: datetime) -> list[Lot]:
        return sorted(
            (lot for lot in self.lots.values() if lot.is_due_to_expire(now)), key=Lot.spend_order
        )

    def invariant_violations(self) -> list[str]:
        """What is wrong with this account; empty when its books are right."""
        in_lots = {
            status: sum(lot.remaining for lot in self.lots.values() if lot.status is status)
            for status in (LotStatus.PENDING, LotStatus.AVAILABLE)
        }
        problems = []
        if self.pending < 0 or self.held < 0:
            problems.append(f"negative pending or held: {self.view()}")
        if in_lots[LotStatus.PENDING] != self.pending:
            problems.append(f"pending lots hold {in_lots[LotStatus.PENDING]}, not {self.pending}")
        if in_lots[LotStatus.AVAILABLE] != max(self.available, 0):
            problems.append(
                f"available lots hold {in_lots[LotStatus.AVAILABLE]}, not {self.available}"
            )
        return problems

    # -- posting: used by the operations in operations.py ----------------------------------
    def account(self, purpose: str) -> str:
        return acc.member_account(self.member_id, purpose)

    def begin(self, operation_id: str, kind: EntryKind, cause: Cause, now: datetime) -> Operation:
        return Operation(
            operation_id=operation_id,
            kind=kind,
            member_id=self.member_id,
            cause=cause,
            recorded_at=now,
        )

    def post(
        self,
        op: Operation,
        points: int,
        debit: str,
        credit: str,
        lot_id: str | None = None,
        cause: Cause | None = None,
    ) -> None:
        """Post one double entry; ``cause``, when one rule of several is the reason for it."""
        for account, sign in ((debit, -1), (credit, 1)):
            parsed = acc.parse_member_account(account)
            if parsed is not None:
                assert parsed[0] == self.member_id, "a posting touches another member"
                purpose = parsed[1]
                setattr(self, purpose, getattr(self, purpose) + sign * points)
        op.entries.append(
            Entry(
                entry_id=f"{op.operation_id}/{len(op.entries) + 1}",
                operation_id=op.operation_id,
                member_id=self.member_id,
                kind=op.kind,
                points=points,
                debit_account=debit,
                credit_account=credit,
                available_after=self.available,
                pending_after=self.pending,
                held_after=self.held,
                lot_id=lot_id,
                cause=cause or op.cause,
                recorded_at=op.recorded_at,
            )
        )

    def finish(self, op: Operation) -> Operation:
        op.balance = self.view()
        self.operations.append(op)
        return op

    def touch(self, lot_ids: Iterable[str]) -> None:
        self.changed_lots.update(lot_ids)

    def available_lots(self) -> list[Lot]:
        return [lot for lot in self.lots.values() if lot.status is LotStatus.AVAILABLE]

    def settle_debt(self) -> None:
        """After a credit to a negative balance, the lots keep only what is really there."""
        excess = sum(lot.remaining for lot in self.available_lots()) - max(self.available, 0)
        if excess > 0:
            self.touch(take_oldest_first(self.available_lots(), excess))

    def new_lot(
        self,
        lot_id: str,
        points: int,
        source_event_id: str | None,
        *,
        pending_until: datetime | None,
        now: datetime,
        policy: Policy,
    ) -> Lot:
        pending = pending_until is not None
        lot = Lot(
            lot_id=lot_id,
            member_id=self.member_id,
            source_event_id=source_event_id,
            points=points,
            remaining=points,
            status=LotStatus.PENDING if pending else LotStatus.AVAILABLE,
            matures_at=pending_until,
            expires_at=None if pending else policy.expiry(now),
            expired=0,
            created_at=now,
        )
        self.lots[lot_id] = lot
        self.touch([lot_id])
        return lot


def positive(points: int) -> None:
    if points <= 0:
        raise InvalidPoints(f"points must be a positive whole number, not {points}")
