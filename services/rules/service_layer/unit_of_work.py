"""One rules transaction for a chunk of events: the members' states under lock, what each
event earned or took back, and the messages they cause (outbox), in one statement per kind
of row."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.audiences_repository import AudiencesRepository
from services.rules.adapters.award_events import decision_events, offer_events
from services.rules.adapters.challenge_events import challenge_events
from services.rules.adapters.members_repository import MembersRepository
from services.rules.adapters.progressions_repository import ProgressionsRepository
from services.rules.adapters.rates import RatesRepository
from services.rules.adapters.repository import (
    BudgetsRepository,
    EventsRepository,
    PurchasesRepository,
)
from services.rules.domain.audiences import Grant, Move, Placement
from services.rules.domain.challenges import Step
from services.rules.domain.exchange import Rate
from services.rules.domain.ladder import StageMove
from services.rules.domain.member import MemberState
from services.rules.domain.model import Decision, LoyaltyEvent
from services.rules.domain.returns import PurchaseRecord
from shared.erasure.use_case import erased_event
from shared.errors import RetryLater
from shared.uow import SqlAlchemyTransaction, Transaction

# Events the history for replays leaves out: a return undoes its purchase's points (no rule
# decides it), a refresh only moves members between audiences.
REFRESH = "audiences.refreshed"
UNREMEMBERED = frozenset({"purchase.returned", REFRESH})


@dataclass(frozen=True, slots=True)
class Decided:
    """One event's decision, the purchase record it created or changed, the audiences and
    offers it moved the member into or out of, and the member's facts the rules saw (kept in
    the history drafts are replayed over; None: not kept)."""

    event: LoyaltyEvent
    decision: Decision
    purchase: PurchaseRecord | None
    placement: Placement = field(default_factory=Placement)
    remembered: dict[str, Any] | None = None
    steps: list[Step] = field(default_factory=list)  # made in challenges


class Events(Protocol):
    async def claim(self, events: Sequence[LoyaltyEvent], now: datetime) -> set[str]:
        """Mark the events processed (holds on commit); the ids processed before."""
        ...

    async def release(self, event_ids: Collection[str]) -> None:
        """Unmark events this chunk refused."""
        ...

    async def forget_processed(self, before: datetime) -> int:
        """Forget the ids of events processed before ``before``; how many."""
        ...


class Members(Protocol):
    async def members_for_update(self, member_ids: Collection[str]) -> dict[str, MemberState]:
        """Every member's state (a fresh one for new members, none for erased ones), locked
        until commit."""
        ...

    async def member(self, member_id: str) -> MemberState: ...

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        """The erased members among ``member_ids``, with when."""
        ...


class Purchases(Protocol):
    async def records(self, event_ids: Collection[str]) -> dict[str, PurchaseRecord]: ...


class Budgets(Protocol):
    async def budgets_for_update(self, rule_ids: Sequence[str]) -> dict[str, int]:
        """Points each budgeted rule has spent, locked until commit."""
        ...


class Rates(Protocol):
    async def exchange_rates(self, spans: Mapping[str, tuple[date, date]]) -> list[Rate]:
        """Each currency's rates from the first day of its span to the last."""
        ...

    async def set_rates(self, rates: Sequence[Rate], *, by: str, at: datetime) -> None: ...


class Audiences(Protocol):
    async def keep(self, moves: Sequence[Move], grants: Sequence[Grant]) -> None:
        """Record members entering and leaving audiences, and the offers they were given."""
        ...

    async def remember(self, decided: Sequence[tuple[LoyaltyEvent, dict[str, Any]]]) -> None:
        """Keep events with the member's facts as the rules saw them, for replays."""
        ...


class Progressions(Protocol):
    async def keep(self, climbs: Sequence[StageMove], steps: Sequence[Step]) -> None:
        """Record members' moves on the ladder and their steps in challenges."""
        ...


class UnitOfWork(Transaction, Protocol):
    """The repositories, and what a transaction does beyond them: keep a chunk's decisions
    with their messages, forget a member."""

    @property
    def events(self) -> Events: ...

    @property
    def members(self) -> Members: ...

    @property
    def purchases(self) -> Purchases: ...

    @property
    def budgets(self) -> Budgets: ...

    @property
    def rates(self) -> Rates: ...

    @property
    def audiences(self) -> Audiences: ...

    @property
    def progressions(self) -> Progressions: ...

    async def save(self, decided: Sequence[Decided], budgets: Mapping[str, int]) -> None: ...

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        """Forget the member and queue the news; False if they were forgotten before."""
        ...


class SqlAlchemyUnitOfWork(SqlAlchemyTransaction):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], topic: str) -> None:
        super().__init__(sessions)
        self._topic = topic

    def _began(self, session: AsyncSession) -> None:
        self.events = EventsRepository(session)
        self.members = MembersRepository(session)
        self.purchases = PurchasesRepository(session)
        self.budgets = BudgetsRepository(session)
        self.rates = RatesRepository(session)
        self.audiences = AudiencesRepository(session)
        self.progressions = ProgressionsRepository(session)

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        if not await self.members.erase(member_id, now):
            return False
        news = erased_event("rules", member_id, erasure_event_id, now)
        await self.events.queue(self._topic, [news])
        return True

    async def save(self, decided: Sequence[Decided], budgets_spent: Mapping[str, int]) -> None:
        """Keep members, purchases and budgets, add the award totals and queue the messages
        (the events were claimed as processed first); a lost race means: retry."""
        try:
            members = {
                m.member_id: m for d in decided for m in (*d.decision.others, d.decision.member)
            }
            await self.members.save_members(list(members.values()))
            await self.purchases.save_purchases(
                [(d.purchase, d.event.occurred_at) for d in decided if d.purchase is not None]
            )
            await self.budgets.add_award_totals(_award_totals(decided))
            await self.events.add_activities([d.event for d in decided])
            await self.budgets.save_budgets(budgets_spent)
            moves = [m for d in decided for m in d.placement.moves]
            grants = [g for d in decided for g in d.placement.grants]
            climbs = [d.placement.stage for d in decided if d.placement.stage is not None]
            steps = [s for d in decided for s in d.steps]
            if moves or grants:
                await self.audiences.keep(moves, grants)
            if climbs or steps:
                await self.progressions.keep(climbs, steps)
            await self.audiences.remember(
                [(d.event, d.remembered) for d in decided if d.remembered is not None]
            )
            messages = [m for d in decided for m in decision_events(d.decision, d.event)]
            messages += offer_events(grants)
            messages += challenge_events(steps)
            await self.events.queue(self._topic, messages)
        except IntegrityError as exc:
            raise RetryLater("events of this chunk are being processed concurrently") from exc


def _award_totals(decided: Sequence[Decided]) -> list[dict[str, Any]]:
    """The chunk's grants and take-backs summed per UTC day, rule, driver and funder."""
    totals: dict[tuple[date, str, str, str], list[int]] = {}
    for d in decided:
        for a in d.decision.awards:
            day = a.awarded_at.astimezone(UTC).date()
            total = totals.setdefault((day, a.rule_id, a.driver, a.funded_by or ""), [0, 0])
            total[0] += a.points
            total[1] += 1
        for r in d.decision.revocations:
            day = r.revoked_at.astimezone(UTC).date()
            total = totals.setdefault((day, r.rule_id, "", r.funded_by or ""), [0, 0])
            total[0] -= r.points
            total[1] += 1
    return [
        {"day": day, "rule_id": rule_id, "driver": driver or None, "points": points}
        | {"awards": n, "funded_by": funder or None}
        for (day, rule_id, driver, funder), (points, n) in sorted(totals.items())
    ]
