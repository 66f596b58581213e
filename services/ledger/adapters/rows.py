"""The ledger's rows and the domain objects they hold, both ways."""

from typing import Any

from sqlalchemy import Table

from services.ledger.adapters.orm import lots, redemptions
from services.ledger.domain.entries import Entry, Operation
from services.ledger.domain.lots import Lot, LotStatus
from services.ledger.domain.redemptions import Redemption, RedemptionStatus


def operation_row(op: Operation) -> dict[str, Any]:
    return {
        "operation_id": op.operation_id,
        "kind": op.kind.value,
        "member_id": op.member_id,
        "fingerprint": op.fingerprint,
        "recorded_at": op.recorded_at,
    }


def entry_row(e: Entry) -> dict[str, Any]:
    return {
        "entry_id": e.entry_id,
        "operation_id": e.operation_id,
        "member_id": e.member_id,
        "kind": e.kind.value,
        "points": e.points,
        "debit_account": e.debit_account,
        "credit_account": e.credit_account,
        "available_after": e.available_after,
        "pending_after": e.pending_after,
        "held_after": e.held_after,
        "lot_id": e.lot_id,
        "rule_id": e.cause.rule_id,
        "rule_version": e.cause.rule_version,
        "explanation": e.cause.explanation[:500],
        "source_event_id": e.cause.source_event_id,
        "actor": e.cause.actor,
        "recorded_at": e.recorded_at,
    }


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
