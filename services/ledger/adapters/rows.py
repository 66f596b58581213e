"""The ledger's rows and the domain objects they hold, both ways."""

from typing import Any

from sqlalchemy import Table

from services.ledger.adapters.orm import lots, redemptions
from services.ledger.domain.accounts import member_account, parse_member_account
from services.ledger.domain.entries import Entry, Operation
from services.ledger.domain.lots import Lot, LotStatus
from services.ledger.domain.redemptions import Redemption, RedemptionStatus

# A balance row's sums, each what the member's entries add up to; all zero for a new member.
BALANCE_SUMS = ("available", "pending", "held", "lifetime_earned", "lifetime_redeemed")
NO_POINTS: dict[str, int] = dict.fromkeys(BALANCE_SUMS, 0)


def operation_row(op: Operation, account_key: str) -> dict[str, Any]:
    """The operation as the books keep it: under the member's account key, not their id."""
    return {
        "operation_id": op.operation_id,
        "kind": op.kind.value,
        "account_key": account_key,
        "fingerprint": op.fingerprint,
        "recorded_at": op.recorded_at,
    }


def entry_row(e: Entry, account_key: str) -> dict[str, Any]:
    """The entry as the books keep it: the member's accounts named by the key."""
    return {
        "entry_id": e.entry_id,
        "operation_id": e.operation_id,
        "account_key": account_key,
        "kind": e.kind.value,
        "points": e.points,
        "debit_account": keyed(e.debit_account, account_key),
        "credit_account": keyed(e.credit_account, account_key),
        "available_after": e.available_after,
        "pending_after": e.pending_after,
        "held_after": e.held_after,
        "lot_id": e.lot_id,
        "rule_id": e.cause.rule_id,
        "rule_version": e.cause.rule_version,
        "explanation": e.cause.explanation[:500],
        "explanations": dict(e.cause.translations) or None,
        "source_event_id": e.cause.source_event_id,
        "actor": e.cause.actor,
        "recorded_at": e.recorded_at,
    }


def keyed(account: str, account_key: str) -> str:
    """``member:<id>:<purpose>`` as ``member:<key>:<purpose>``; a program account as it is."""
    parsed = parse_member_account(account)
    return account if parsed is None else member_account(account_key, parsed[1])


def unkeyed(account: str, account_key: str, member_id: str) -> str:
    """The other way, for the member's own statement."""
    parsed = parse_member_account(account)
    if parsed is None or parsed[0] != account_key:
        return account
    return member_account(member_id, parsed[1])


def lot_of(row: Any) -> Lot:
    return Lot(**{**row, "status": LotStatus(row["status"])})


def lot_row(lot: Lot) -> dict[str, Any]:
    return row_of(lot, lots) | {"status": lot.status.value}


def redemption_of(row: Any) -> Redemption:
    return Redemption(**{**row, "status": RedemptionStatus(row["status"])})


def redemption_row(r: Redemption) -> dict[str, Any]:
    return row_of(r, redemptions) | {"status": r.status.value}


def row_of(obj: object, table: Table) -> dict[str, Any]:
    return {column.name: getattr(obj, column.name) for column in table.columns}
