"""What the rules' consumer reads and writes besides member states, a chunk of events at a
time: processed ids and activities, purchases, budgets and award totals, and the outbox."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import (
    activities,
    award_totals,
    budgets,
    outbox,
    processed_events,
    purchases,
)
from services.rules.adapters.state_codec import purchase_from_json, purchase_to_json
from services.rules.domain.model import LoyaltyEvent
from services.rules.domain.returns import PurchaseRecord
from shared.bulk import insert_rows, update_rows
from shared.contracts.envelope import CloudEvent
from shared.db import any_of, one_of
from shared.outbox import queue_events

ACTIVITY = "member.activity"


class EventsRepository:
    """The events processed (claimed once), members' activities, and the outbox."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    async def claim(self, events: Sequence[LoyaltyEvent], now: datetime) -> set[str]:
        """Record the events as processed (it holds once the transaction commits); the keys
        of those processed before. One statement: the unique key finds the repeats, in key
        order so that two replicas claiming overlapping chunks wait, never deadlock. Events
        processed before keys were source + id were recorded by their bare id: one more
        query finds those among the new, so a redelivery of one is still a repeat."""
        first = {e.event_id: e for e in reversed(events)}  # the first of each id
        rows = [
            {
                "event_id": e.event_id,
                "event_type": e.event_type,
                "member_id": e.member_id,
                "occurred_at": e.occurred_at,
                "processed_at": now,
            }
            for _, e in sorted(first.items())
        ]
        new = set(
            await insert_rows(
                self.session,
                processed_events,
                rows,
                on_conflict="nothing",
                key=["event_id"],
                returning="event_id",
            )
        )
        bare = {first[k].sent_id: k for k in new if first[k].sent_id}
        if bare:
            legacy = await self.session.execute(_processed(self._dialect), {"ids": list(bare)})
            new -= {bare[r.event_id] for r in legacy}
        return set(first) - new

    async def release(self, event_ids: Collection[str]) -> None:
        """Forget claims of events this chunk refused: a replay of them is handled anew."""
        if event_ids:
            await self.session.execute(
                delete(processed_events).where(
                    one_of(processed_events.c.event_id, event_ids, self._dialect)
                )
            )

    async def forget_processed(self, before: datetime) -> int:
        """Forget the events processed before ``before``; how many."""
        result = await self.session.execute(
            delete(processed_events).where(processed_events.c.processed_at < before)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def add_activities(self, events: Sequence[LoyaltyEvent]) -> None:
        """Members' activities (``member.activity``), for the report's engagement and NPS."""
        rows = [
            {
                "event_id": e.event_id,
                "member_id": e.member_id,
                "activity": str(e.data.get("activity")),
                "score": e.data.get("score"),
                "occurred_at": e.occurred_at,
            }
            for e in events
            if e.event_type == ACTIVITY
        ]
        await insert_rows(self.session, activities, rows, on_conflict="nothing", key=["event_id"])

    async def queue(self, topic: str, events: Sequence[CloudEvent]) -> None:
        """Queue events in the outbox (they leave with the commit)."""
        await queue_events(self.session, outbox, topic, list(events))


class PurchasesRepository:
    """Purchases as the rules keep them, for returns and the program report."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    async def records(self, event_ids: Collection[str]) -> dict[str, PurchaseRecord]:
        if not event_ids:
            return {}
        rows = await self.session.execute(_purchases(self._dialect), {"ids": list(event_ids)})
        return {r.event_id: purchase_from_json(r.event_id, r.member_id, r.record) for r in rows}

    async def save_purchases(self, records: list[tuple[PurchaseRecord, datetime]]) -> None:
        if not records:
            return
        await insert_rows(
            self.session,
            purchases,
            [
                {
                    "event_id": record.event_id,
                    "member_id": record.member_id,
                    "record": purchase_to_json(record),
                    "occurred_at": occurred_at,
                    # The report's revenue: in the program's currency, net of returns.
                    "currency": record.counted_in or record.currency,
                    "paid": record.counted_net(),
                }
                for record, occurred_at in records
            ],
            on_conflict="update",
            key=["event_id"],
        )


class BudgetsRepository:
    """What budgeted rules have spent, and the points awarded per day and rule."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def budgets_for_update(self, rule_ids: Sequence[str]) -> dict[str, int]:
        """Points each rule has spent; the rows stay locked until commit, so replicas never
        overspend a budget together."""
        await insert_rows(
            self.session,
            budgets,
            [{"rule_id": r, "spent": 0} for r in sorted(rule_ids)],
            on_conflict="nothing",
            key=["rule_id"],
        )
        rows = await self.session.execute(
            select(budgets.c.rule_id, budgets.c.spent)
            .where(budgets.c.rule_id.in_(sorted(rule_ids)))
            .order_by(budgets.c.rule_id)
            .with_for_update()
        )
        return {r.rule_id: int(r.spent) for r in rows}

    async def save_budgets(self, spent: Mapping[str, int]) -> None:
        """Budgets locked by :meth:`budgets_for_update`, with what they have spent now."""
        rows = [{"rule_id": r, "spent": s} for r, s in spent.items()]
        await update_rows(self.session, budgets, rows, key="rule_id")

    async def add_award_totals(self, rows: Sequence[dict[str, Any]]) -> None:
        await insert_rows(self.session, award_totals, rows)


@cache
def _processed(dialect: str) -> Select[Any]:
    """Which of the event ids (``ids``) are known as processed."""
    return select(processed_events.c.event_id).where(
        any_of(processed_events.c.event_id, "ids", dialect)
    )


@cache
def _purchases(dialect: str) -> Select[Any]:
    """The purchases with these event ids (``ids``)."""
    return select(purchases.c.event_id, purchases.c.member_id, purchases.c.record).where(
        any_of(purchases.c.event_id, "ids", dialect)
    )
