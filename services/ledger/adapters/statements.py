"""The ledger's hot statements, each built once per dialect: building a statement and its
cache key costs more than running it, and a chunk of a few events runs several."""

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from services.ledger.adapters.orm import balances, lots, operations
from services.ledger.domain.lots import OPEN_LOTS
from shared.db import any_of


@cache
def fingerprints_by_id(dialect: str) -> Select[Any]:
    """The operations' fingerprints, by operation id (``ids``)."""
    return select(operations.c.operation_id, operations.c.fingerprint).where(
        any_of(operations.c.operation_id, "ids", dialect)
    )


@cache
def lock_balances(dialect: str) -> Select[Any]:
    """Balance rows by member id (``ids``), locked in member-id order."""
    return (
        select(balances)
        .where(any_of(balances.c.member_id, "ids", dialect))
        .order_by(balances.c.member_id)
        .with_for_update()
    )


def open_lot() -> ColumnElement[bool]:
    """Lots still open: pending, or available with points left."""
    return or_(
        *(
            (lots.c.status == status.value) & (lots.c.remaining > 0)
            if needs_points
            else lots.c.status == status.value
            for status, needs_points in OPEN_LOTS
        )
    )


@cache
def open_lots(dialect: str) -> Select[Any]:
    """The open lots of the members (``ids``)."""
    return select(lots).where(any_of(lots.c.member_id, "ids", dialect), open_lot())
