"""One notification transaction: the inbox message, written once per source event."""

from dataclasses import asdict
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from services.notifications.adapters.orm import inbox
from services.notifications.domain.model import InboxMessage
from shared.errors import RetryLater
from shared.uow import SqlAlchemyTransaction, Transaction


class UnitOfWork(Transaction, Protocol):
    async def message_exists(self, message_id: str) -> bool: ...

    async def add(self, message: InboxMessage) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyTransaction):
    async def message_exists(self, message_id: str) -> bool:
        found = await self.session.scalar(
            select(inbox.c.id).where(inbox.c.message_id == message_id)
        )
        return found is not None

    async def add(self, message: InboxMessage) -> None:
        try:
            await self.session.execute(insert(inbox).values(**asdict(message)))
        except IntegrityError as exc:
            raise RetryLater(f"message {message.message_id} written concurrently") from exc
