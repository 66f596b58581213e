"""One ledger transaction: a member's account under lock, and the events its changes cause."""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.ledger_events import ledger_event
from services.ledger.adapters.orm import outbox, redemptions
from services.ledger.adapters.repository import LedgerRepository
from services.ledger.domain.model import MemberAccount
from services.ledger.domain.redemptions import RedemptionStatus
from shared.contracts.envelope import CloudEvent
from shared.errors import RetryLater
from shared.outbox import outbox_insert
from shared.uow import SqlAlchemyTransaction, Transaction


class UnitOfWork(Transaction, Protocol):
    async def load(
        self, member_id: str, *, lot_ids: Collection[str] = (), redemption_ids: Collection[str] = ()
    ) -> MemberAccount: ...

    async def operation_fingerprint(self, operation_id: str) -> str | None: ...

    async def expired_holds(self, member_id: str, now: datetime) -> list[str]: ...

    async def save(self, account: MemberAccount) -> None: ...

    async def publish(self, event: CloudEvent) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyTransaction):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], topic: str) -> None:
        super().__init__(sessions)
        self._topic = topic

    async def load(
        self, member_id: str, *, lot_ids: Collection[str] = (), redemption_ids: Collection[str] = ()
    ) -> MemberAccount:
        return await LedgerRepository(self.session).load(
            member_id, lot_ids=lot_ids, redemption_ids=redemption_ids
        )

    async def operation_fingerprint(self, operation_id: str) -> str | None:
        return await LedgerRepository(self.session).operation_fingerprint(operation_id)

    async def expired_holds(self, member_id: str, now: datetime) -> list[str]:
        found = await self.session.scalars(
            select(redemptions.c.redemption_id).where(
                redemptions.c.member_id == member_id,
                redemptions.c.status == RedemptionStatus.HELD.value,
                redemptions.c.hold_expires_at <= now,
            )
        )
        return list(found)

    async def save(self, account: MemberAccount) -> None:
        """Write the account and queue its events; a lost race means: try again."""
        try:
            done = await LedgerRepository(self.session).save(account)
            if done:
                await self.session.execute(
                    outbox_insert(outbox, self._topic, [ledger_event(op) for op in done])
                )
        except IntegrityError as exc:
            raise RetryLater(f"concurrent write for member {account.member_id}") from exc

    async def publish(self, event: CloudEvent) -> None:
        """Queue an event that is not a ledger operation (e.g. a reminder) in the outbox."""
        await self.session.execute(outbox_insert(outbox, self._topic, [event]))
