"""One notification transaction: the inbox message, written once per source event."""

from dataclasses import asdict
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.adapters.orm import inbox
from services.notifications.domain.model import InboxMessage
from shared.errors import RetryLater


class UnitOfWork(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def message_exists(self, message_id: str) -> bool: ...

    async def add(self, message: InboxMessage) -> None: ...

    async def commit(self) -> None: ...


class SqlAlchemyUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.session.rollback()
        await self.session.close()

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use the unit of work in an `async with`"
        return self._session

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

    async def commit(self) -> None:
        await self.session.commit()
