"""The transaction every service's unit of work is built on: one session, rolled back unless
committed, and the service's repository over it, built once when the transaction begins. A
consumer's unit of work is a whole chunk of messages (see shared.kafka.chunks)."""

from collections.abc import Callable
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar

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


R = TypeVar("R")


class RepositoryTransaction(SqlAlchemyTransaction, Generic[R]):
    """A transaction and its service's repository (all the service's SQL), built once per
    transaction: a unit of work asks the repository and keeps no SQL of its own."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], repository: Callable[[AsyncSession], R]
    ) -> None:
        super().__init__(sessions)
        self._make_repository = repository
        self._repository: R | None = None

    def _began(self, session: AsyncSession) -> None:
        self._repository = self._make_repository(session)

    @property
    def repository(self) -> R:
        assert self._repository is not None, "use the unit of work in an `async with`"
        return self._repository
