"""One ledger transaction: entries, the balance they move, and the events they cause."""

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.ledger_events import ledger_event
from services.ledger.adapters.orm import outbox
from services.ledger.adapters.repository import LedgerRepository
from services.ledger.domain.model import Balance, Entry
from shared.errors import RetryLater
from shared.outbox import outbox_insert


class UnitOfWork(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def entry_exists(self, entry_id: str) -> bool: ...

    async def balance_for_update(self, member_id: str) -> Balance: ...

    async def append(self, entry: Entry, balance: Balance) -> None: ...

    async def commit(self) -> None: ...


class SqlAlchemyUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], topic: str) -> None:
        self._sessions = sessions
        self._topic = topic
        self._session: AsyncSession | None = None
        self._repo: LedgerRepository | None = None

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self._repo = LedgerRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        await self._session.rollback()
        await self._session.close()

    @property
    def repo(self) -> LedgerRepository:
        assert self._repo is not None, "use the unit of work in an `async with`"
        return self._repo

    async def entry_exists(self, entry_id: str) -> bool:
        return await self.repo.entry_exists(entry_id)

    async def balance_for_update(self, member_id: str) -> Balance:
        return await self.repo.balance_for_update(member_id)

    async def append(self, entry: Entry, balance: Balance) -> None:
        """Write the entry, the balance and its events; a lost race means: try again."""
        assert self._session is not None
        try:
            await self.repo.add_entry(entry)
            await self.repo.save_balance(balance)
            events = [ledger_event(e) for e in balance.events]
            await self._session.execute(outbox_insert(outbox, self._topic, events))
        except IntegrityError as exc:
            raise RetryLater(f"concurrent write for member {entry.member_id}") from exc

    async def commit(self) -> None:
        assert self._session is not None
        await self._session.commit()
