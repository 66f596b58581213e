"""One database transaction: which events were seen, and the awards they caused (outbox)."""

from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.award_events import award_event
from services.rules.adapters.orm import outbox, processed_events
from services.rules.domain.model import Award, LoyaltyEvent
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

    async def was_processed(self, event_id: str) -> bool: ...

    async def record(self, event: LoyaltyEvent, awards: list[Award]) -> None: ...

    async def commit(self) -> None: ...


class SqlAlchemyUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], topic: str) -> None:
        self._sessions = sessions
        self._topic = topic
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
        assert self._session is not None
        await self._session.rollback()
        await self._session.close()

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use the unit of work in an `async with`"
        return self._session

    async def was_processed(self, event_id: str) -> bool:
        found = await self.session.scalar(
            select(processed_events.c.event_id).where(processed_events.c.event_id == event_id)
        )
        return found is not None

    async def record(self, event: LoyaltyEvent, awards: list[Award]) -> None:
        """Mark the event seen and queue its awards; a lost race means: try again."""
        try:
            await self.session.execute(
                insert(processed_events).values(
                    event_id=event.event_id,
                    event_type=event.event_type,
                    member_id=event.member_id,
                    occurred_at=event.occurred_at,
                    processed_at=datetime.now(UTC),
                )
            )
            if awards:
                await self.session.execute(
                    outbox_insert(outbox, self._topic, [award_event(a) for a in awards])
                )
        except IntegrityError as exc:
            raise RetryLater(f"event {event.event_id} is being processed concurrently") from exc

    async def commit(self) -> None:
        await self.session.commit()
