"""Reads and writes of entries and balances."""

from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries
from services.ledger.domain.model import Balance, Entry
from shared.errors import RetryLater


class ConcurrentUpdate(RetryLater):
    """The balance changed under us; the transaction must be retried."""


class LedgerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def entry_exists(self, entry_id: str) -> bool:
        found = await self._session.scalar(
            select(entries.c.id).where(entries.c.entry_id == entry_id)
        )
        return found is not None

    async def balance_for_update(self, member_id: str) -> Balance:
        row = (
            await self._session.execute(
                select(balances).where(balances.c.member_id == member_id).with_for_update()
            )
        ).first()
        if row is None:
            return Balance(member_id=member_id)
        return Balance(
            member_id=member_id,
            available=row.available,
            pending=row.pending,
            lifetime_earned=row.lifetime_earned,
            version=row.version,
        )

    async def add_entry(self, entry: Entry) -> None:
        values = asdict(entry)
        values["status"] = entry.status.value
        await self._session.execute(insert(entries).values(**values))

    async def save_balance(self, balance: Balance) -> None:
        now = datetime.now(UTC)
        values = {
            "available": balance.available,
            "pending": balance.pending,
            "lifetime_earned": balance.lifetime_earned,
            "version": balance.version + 1,
            "updated_at": now,
        }
        if balance.version == 0:
            await self._session.execute(
                insert(balances).values(member_id=balance.member_id, **values)
            )
        else:
            result = await self._session.execute(
                update(balances)
                .where(
                    balances.c.member_id == balance.member_id, balances.c.version == balance.version
                )
                .values(**values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConcurrentUpdate(balance.member_id)
        balance.version += 1
