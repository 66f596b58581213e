"""Who is in each audience and who got each offer, a chunk at a time; the history drafts are
replayed over; and what the audience and offer pages read."""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.history_codec import event_from_json, event_to_json
from services.rules.adapters.orm import (
    audience_members,
    audience_moves,
    history,
    offer_assignments,
    purchases,
)
from services.rules.domain.audiences import Grant, Move
from services.rules.domain.model import LoyaltyEvent
from shared.bulk import insert_rows
from shared.db import one_of


class AudiencesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    # -- written with a chunk's decisions ---------------------------------------------------
    async def keep(self, moves: Sequence[Move], grants: Sequence[Grant]) -> None:
        if moves:
            await insert_rows(
                self.session,
                audience_moves,
                [
                    {"audience_id": m.audience_id, "member_id": m.member_id}
                    | {"entered": m.entered, "at": m.at}
                    for m in moves
                ],
            )
            left = [(m.audience_id, m.member_id) for m in moves if not m.entered]
            if left:
                await self.session.execute(
                    delete(audience_members).where(
                        tuple_(audience_members.c.audience_id, audience_members.c.member_id).in_(
                            left
                        )
                    )
                )
            entered: dict[tuple[str, str], datetime] = {}
            for m in moves:  # the last move of a member in the chunk decides
                key = (m.audience_id, m.member_id)
                if m.entered:
                    entered[key] = m.at
                else:
                    entered.pop(key, None)
            await insert_rows(
                self.session,
                audience_members,
                [{"audience_id": a, "member_id": m, "since": at} for (a, m), at in entered.items()],
                on_conflict="update",
                key=["audience_id", "member_id"],
            )
        await insert_rows(
            self.session,
            offer_assignments,
            [
                {"offer_id": g.offer.offer_id, "member_id": g.member_id}
                | {"grp": g.group.value, "assigned_at": g.at}
                for g in grants
            ],
            on_conflict="nothing",
            key=["offer_id", "member_id"],
        )

    async def remember(self, decided: Sequence[tuple[LoyaltyEvent, dict[str, Any]]]) -> None:
        await insert_rows(
            self.session,
            history,
            [
                {
                    "event_id": e.event_id,
                    "member_id": e.member_id,
                    "event_type": e.event_type,
                    "occurred_at": e.occurred_at,
                    "event": event_to_json(e),
                    "member": facts,
                }
                for e, facts in decided
            ],
            on_conflict="nothing",
            key=["event_id"],
        )

    async def forget_history(self, before: datetime) -> int:
        result = await self.session.execute(delete(history).where(history.c.occurred_at < before))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- read by pages and reports ----------------------------------------------------------
    async def counts(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(audience_members.c.audience_id, func.count()).group_by(
                audience_members.c.audience_id
            )
        )
        return {a: int(n) for a, n in rows}

    async def sample(self, audience_id: str, limit: int) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(audience_members.c.member_id, audience_members.c.since)
            .where(audience_members.c.audience_id == audience_id)
            .order_by(audience_members.c.since.desc(), audience_members.c.member_id)
            .limit(limit)
        )
        return [{"member_id": m, "since": s.isoformat()} for m, s in rows]

    async def member_ids(self, audience_id: str) -> AsyncIterator[str]:
        result = await self.session.stream(
            select(audience_members.c.member_id)
            .where(audience_members.c.audience_id == audience_id)
            .order_by(audience_members.c.member_id)
        )
        async for (member_id,) in result:
            yield member_id

    async def moves_between(
        self, audience_id: str, since: datetime, until: datetime
    ) -> dict[str, int]:
        """How many entered and how many left the audience in [since, until)."""
        rows = await self.session.execute(
            select(audience_moves.c.entered, func.count())
            .where(
                and_(
                    audience_moves.c.audience_id == audience_id,
                    audience_moves.c.at >= since,
                    audience_moves.c.at < until,
                )
            )
            .group_by(audience_moves.c.entered)
        )
        counts = {"entered": 0, "left": 0}
        for entered, n in rows:
            counts["entered" if entered else "left"] = int(n)
        return counts

    async def reached(self) -> dict[str, dict[str, int]]:
        rows = await self.session.execute(
            select(offer_assignments.c.offer_id, offer_assignments.c.grp, func.count()).group_by(
                offer_assignments.c.offer_id, offer_assignments.c.grp
            )
        )
        found: dict[str, dict[str, int]] = {}
        for offer_id, group, n in rows:
            found.setdefault(offer_id, {})[group] = int(n)
        return found

    async def assignments(self, offer_id: str) -> list[tuple[str, str, datetime]]:
        """(member, group, since) of everyone the offer reached, treated or control."""
        rows = await self.session.execute(
            select(
                offer_assignments.c.member_id,
                offer_assignments.c.grp,
                offer_assignments.c.assigned_at,
            ).where(offer_assignments.c.offer_id == offer_id)
        )
        return [(m, g, at) for m, g, at in rows]

    async def purchases_of(
        self, member_ids: Sequence[str], since: datetime, until: datetime
    ) -> list[tuple[str, datetime, Any, dict[str, Any]]]:
        """(member, time, paid net of returns, record) of their purchases in [since, until)."""
        found: list[tuple[str, datetime, Any, dict[str, Any]]] = []
        for start in range(0, len(member_ids), 5000):
            rows = await self.session.execute(
                select(
                    purchases.c.member_id,
                    purchases.c.occurred_at,
                    purchases.c.paid,
                    purchases.c.record,
                ).where(
                    one_of(purchases.c.member_id, member_ids[start : start + 5000], self._dialect),
                    purchases.c.occurred_at >= since,
                    purchases.c.occurred_at < until,
                )
            )
            found += [(m, at, paid, record) for m, at, paid, record in rows]
        return found

    async def history_since(
        self, since: datetime, *, part: int = 0, parts: int = 1
    ) -> AsyncIterator[tuple[LoyaltyEvent, Any]]:
        """The remembered events from ``since``, oldest first, with the member's facts; of
        one ``part`` of the members, split by a hash of their id (PostgreSQL), if ``parts``."""
        where = [history.c.occurred_at >= since]
        if parts > 1:
            bucket = func.hashtext(history.c.member_id).op("&")(0x7FFFFFFF) % parts
            where.append(bucket == part)
        result = await self.session.stream(
            select(history.c.event_id, history.c.member_id, history.c.event, history.c.member)
            .where(*where)
            .order_by(history.c.occurred_at, history.c.event_id)
            .execution_options(yield_per=2000)
        )
        async for event_id, member_id, event, member in result:
            yield event_from_json(event_id, member_id, event), member
