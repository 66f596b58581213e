"""The transaction every service's unit of work is built on: one session, rolled back unless
committed.

A consumer may open a :class:`Batch` around a batch of messages: every unit of work on the same
sessionmaker inside it then runs in a savepoint of the batch's one transaction, and the batch
commits once at the end (one commit, one fsync, for many messages). A unit of work that
commits releases its savepoint; one left without commit rolls back to it. Whoever must hear of a
commit registers with :func:`after_commit`, which waits for the batch's commit.
"""

from collections.abc import Callable
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker


class Transaction(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class Batch:
    """One transaction around many units of work (see the module's docstring)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._session: AsyncSession | None = None
        self._token: Token[Batch | None] | None = None
        self._committed: list[Callable[[], None]] = []

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use the batch in an `async with`"
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self.sessions()
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._token is not None
        _current.reset(self._token)
        self._committed.clear()
        await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        callbacks, self._committed = self._committed, []
        for callback in callbacks:
            callback()


_current: ContextVar[Batch | None] = ContextVar("pointstream_batch", default=None)


def after_commit(callback: Callable[[], None]) -> None:
    """Call ``callback`` once what was just committed is visible to others: now, or, inside a
    batch, when the batch commits (never, if it rolls back)."""
    batch = _current.get()
    if batch is None:
        callback()
    elif callback not in batch._committed:
        batch._committed.append(callback)


class SqlAlchemyTransaction:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._savepoint: AsyncSessionTransaction | None = None

    async def __aenter__(self) -> Self:
        batch = _current.get()
        if batch is not None and batch.sessions is self._sessions:
            self._session = batch.session
            self._savepoint = await self._session.begin_nested()
        else:
            self._session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._savepoint is not None:  # the batch owns the session
            if self._savepoint.is_active:
                await self._savepoint.rollback()
            self._savepoint = None
            return
        await self.session.rollback()
        await self.session.close()

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use the unit of work in an `async with`"
        return self._session

    async def commit(self) -> None:
        if self._savepoint is not None:
            await self._savepoint.commit()
        else:
            await self.session.commit()
