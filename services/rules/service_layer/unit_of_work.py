"""One rules transaction: the member's state under lock, what the event earned or took back,
and the awards it causes (outbox)."""

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.award_events import (
    award_event,
    award_id,
    revocation_event,
    revocation_id,
    tier_event,
)
from services.rules.adapters.orm import awards, outbox, processed_events
from services.rules.adapters.repository import MemberRepository
from services.rules.domain.member import MemberState
from services.rules.domain.model import Decision, LoyaltyEvent
from services.rules.domain.returns import PurchaseRecord
from shared.errors import RetryLater
from shared.outbox import outbox_insert
from shared.uow import SqlAlchemyTransaction, Transaction


class UnitOfWork(Transaction, Protocol):
    async def was_processed(self, event_id: str) -> bool: ...

    async def member_for_update(self, member_id: str) -> MemberState: ...

    async def purchase(self, event_id: str, member_id: str) -> PurchaseRecord | None: ...

    async def reserve_budget(self, rule_id: str, points: int, budget: int) -> int: ...

    async def refund_budget(self, rule_id: str, points: int) -> None: ...

    async def record(
        self, event: LoyaltyEvent, decision: Decision, purchase: PurchaseRecord | None
    ) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyTransaction):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], topic: str) -> None:
        super().__init__(sessions)
        self._topic = topic

    @property
    def _members(self) -> MemberRepository:
        return MemberRepository(self.session)

    async def was_processed(self, event_id: str) -> bool:
        found = await self.session.scalar(
            select(processed_events.c.event_id).where(processed_events.c.event_id == event_id)
        )
        return found is not None

    async def member_for_update(self, member_id: str) -> MemberState:
        return await self._members.member_for_update(member_id)

    async def purchase(self, event_id: str, member_id: str) -> PurchaseRecord | None:
        return await self._members.purchase(event_id, member_id)

    async def reserve_budget(self, rule_id: str, points: int, budget: int) -> int:
        return await self._members.reserve_budget(rule_id, points, budget)

    async def refund_budget(self, rule_id: str, points: int) -> None:
        await self._members.refund_budget(rule_id, points)

    async def record(
        self, event: LoyaltyEvent, decision: Decision, purchase: PurchaseRecord | None
    ) -> None:
        """Mark the event seen, keep the member and purchase, queue the awards; a lost race
        means: try again."""
        try:
            await self._members.save_member(decision.member)
            if purchase is not None:
                await self._members.save_purchase(purchase, event.occurred_at)
            await self.session.execute(
                insert(processed_events).values(
                    event_id=event.event_id,
                    event_type=event.event_type,
                    member_id=event.member_id,
                    occurred_at=event.occurred_at,
                    processed_at=datetime.now(UTC),
                )
            )
            granted = [
                {
                    "award_id": award_id(a),
                    "event_id": a.source_event_id,
                    "member_id": a.member_id,
                    "rule_id": a.rule_id,
                    "rule_version": a.rule_version,
                    "driver": a.driver,
                    "points": a.points,
                    "occurred_at": a.awarded_at,
                }
                for a in decision.awards
            ] + [
                {
                    "award_id": revocation_id(r),
                    "event_id": r.source_event_id,
                    "member_id": r.member_id,
                    "rule_id": r.rule_id,
                    "rule_version": r.rule_version,
                    "driver": None,
                    "points": -r.points,
                    "occurred_at": r.revoked_at,
                }
                for r in decision.revocations
            ]
            if granted:
                await self.session.execute(insert(awards), granted)
            messages = [award_event(a) for a in decision.awards]
            messages += [revocation_event(r) for r in decision.revocations]
            if decision.tier_change is not None:
                messages.append(tier_event(decision.tier_change))
            if messages:
                await self.session.execute(outbox_insert(outbox, self._topic, messages))
        except IntegrityError as exc:
            raise RetryLater(f"event {event.event_id} is being processed concurrently") from exc
