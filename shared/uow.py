"""The transaction every service's unit of work is built on: one session, rolled back unless
committed, and the service's repositories over it, built once when the transaction begins
(each unit of work's ``_began``). A
consumer's unit of work is a whole chunk of messages (see shared.kafka.chunks)."""

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class Transaction(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class SqlAlchemyTransaction:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self._began(self._session)
        return self

    def _began(self, session: AsyncSession) -> None:
        """Build what lives as long as the transaction."""

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

    async def commit(self) -> None:
        await self.session.commit()
