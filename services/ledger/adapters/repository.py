"""Loads a member's account under a row lock and writes back what its operations changed."""

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries, lots, operations, redemptions
from services.ledger.domain.entries import Operation
from services.ledger.domain.lots import Lot, LotStatus
from services.ledger.domain.model import MemberAccount
from services.ledger.domain.redemptions import Redemption, RedemptionStatus
from shared.db import upsert
from shared.errors import RetryLater


class ConcurrentUpdate(RetryLater):
    """The balance changed under us; the transaction must be retried."""


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def operation_fingerprint(self, operation_id: str) -> str | None:
        return await self._session.scalar(
            select(operations.c.fingerprint).where(operations.c.operation_id == operation_id)
        )

    async def load(
        self, member_id: str, *, lot_ids: Collection[str] = (), redemption_ids: Collection[str] = ()
    ) -> MemberAccount:
        """The account with its open lots; the balance row stays locked until commit.

        Every writer locks the balance row first, so writers of one member queue up there.
        """
        row = (
            await self._session.execute(
                select(balances).where(balances.c.member_id == member_id).with_for_update()
            )
        ).first()
        redemption_rows = (
            (
                await self._session.execute(
                    select(redemptions).where(
                        redemptions.c.redemption_id.in_(list(redemption_ids)),
                        redemptions.c.member_id == member_id,
                    )
                )
            ).all()
            if redemption_ids
            else []
        )
        loaded_redemptions = [_redemption(r._mapping) for r in redemption_rows]
        # Open lots, plus those a loaded redemption took points from (a release returns them).
        wanted = {*lot_ids, *(i for r in loaded_redemptions for i in r.allocations)}
        lot_rows = (
            await self._session.execute(
                select(lots).where(
                    lots.c.member_id == member_id,
                    or_(
                        lots.c.status == LotStatus.PENDING.value,
                        (lots.c.status == LotStatus.AVAILABLE.value) & (lots.c.remaining > 0),
                        lots.c.lot_id.in_(sorted(wanted)),
                    ),
                )
            )
        ).all()
        loaded_lots = [_lot(r._mapping) for r in lot_rows]
        if row is None:
            return MemberAccount(member_id, lots=loaded_lots, redemptions=loaded_redemptions)
        return MemberAccount(
            member_id,
            available=row.available,
            pending=row.pending,
            held=row.held,
            lifetime_earned=row.lifetime_earned,
            lifetime_redeemed=row.lifetime_redeemed,
            version=row.version,
            lots=loaded_lots,
            redemptions=loaded_redemptions,
        )

    async def save(self, account: MemberAccount) -> list[Operation]:
        """Write the account's new operations, entries, balance, lots and redemptions."""
        new = account.operations
        if new:
            await self._session.execute(insert(operations), [_operation_row(op) for op in new])
            await self._session.execute(
                insert(entries), [_entry_row(e) for op in new for e in op.entries]
            )
        await self._save_balance(account)
        dialect = self._session.get_bind().dialect.name
        if account.changed_lots:
            rows = [_lot_row(account.lots[i]) for i in sorted(account.changed_lots)]
            await self._session.execute(upsert(lots, rows, key="lot_id", dialect=dialect))
        if account.changed_redemptions:
            rows = [
                _redemption_row(account.redemptions[i]) for i in sorted(account.changed_redemptions)
            ]
            await self._session.execute(
                upsert(redemptions, rows, key="redemption_id", dialect=dialect)
            )
        account.operations, account.changed_lots, account.changed_redemptions = [], set(), set()
        return new

    async def _save_balance(self, account: MemberAccount) -> None:
        values = {
            "available": account.available,
            "pending": account.pending,
            "held": account.held,
            "lifetime_earned": account.lifetime_earned,
            "lifetime_redeemed": account.lifetime_redeemed,
            "version": account.version + 1,
            "updated_at": datetime.now(UTC),
        }
        if account.version == 0:
            await self._session.execute(
                insert(balances).values(member_id=account.member_id, **values)
            )
        else:
            result = await self._session.execute(
                update(balances)
                .where(
                    balances.c.member_id == account.member_id, balances.c.version == account.version
                )
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentUpdate(account.member_id)
        account.version += 1


def _operation_row(op: Operation) -> dict[str, Any]:
    return {
        "operation_id": op.operation_id,
        "kind": op.kind.value,
        "member_id": op.member_id,
        "fingerprint": op.fingerprint,
        "recorded_at": op.recorded_at,
    }


def _entry_row(e: Any) -> dict[str, Any]:
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


def _lot(row: Any) -> Lot:
    return Lot(**{**row, "status": LotStatus(row["status"])})


def _lot_row(lot: Lot) -> dict[str, Any]:
    return _row(lot, lots) | {"status": lot.status.value}


def _redemption(row: Any) -> Redemption:
    return Redemption(**{**row, "status": RedemptionStatus(row["status"])})


def _redemption_row(r: Redemption) -> dict[str, Any]:
    return _row(r, redemptions) | {"status": r.status.value}


def _row(obj: object, table: Table) -> dict[str, Any]:
    return {column.name: getattr(obj, column.name) for column in table.columns}
