"""The rules' tables for unit tests."""

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from services.rules.domain.audiences import Grant, Move
from services.rules.domain.challenges import Step
from services.rules.domain.exchange import Rate
from services.rules.domain.ladder import StageMove
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, LoyaltyEvent, Revocation, TierChange
from services.rules.domain.returns import PurchaseRecord
from services.rules.service_layer.unit_of_work import Decided
from tests.unit.fakes.transaction import FakeErasedMembers, FakeTransaction


class FakeRulesUnitOfWork(FakeErasedMembers, FakeTransaction):
    """The rules service's tables as dicts; ``save`` stages, ``commit`` applies."""

    def __init__(self, budgets: dict[str, int] | None = None) -> None:
        super().__init__()
        self.processed_ids: set[str] = set()
        self.processed_at: dict[str, datetime] = {}
        self.states: dict[str, MemberState] = {}
        self.purchase_records: dict[str, PurchaseRecord] = {}
        self.spent: dict[str, int] = {}
        self.rate_table: list[Rate] = []
        self.awards: list[Award] = []
        self.revocations: list[Revocation] = []
        self.tier_changes: list[TierChange] = []
        self.moves: list[Move] = []
        self.grants: list[Grant] = []
        self.steps: list[Step] = []
        self.climbs: list[StageMove] = []
        self._staged: tuple[Sequence[Decided], Mapping[str, int]] | None = None

    @property
    def events(self) -> "FakeRulesUnitOfWork":
        """Each repository: these same dicts."""
        return self

    members = purchases = budgets = rates = audiences = events

    @property
    def progressions(self) -> "FakeProgressions":
        return FakeProgressions()

    async def keep(self, moves: Sequence[Move], grants: Sequence[Grant]) -> None:
        """(The fake keeps moves and grants from the decisions at commit.)"""

    async def remember(self, decided: Sequence[tuple[LoyaltyEvent, dict[str, Any]]]) -> None:
        """(Nothing replays the fake's history.)"""

    async def claim(self, events: Sequence[LoyaltyEvent], now: datetime) -> set[str]:
        """The claims hold on commit: there, the decided events are marked processed (the
        refused ones, released, are not)."""
        return {e.event_id for e in events} & self.processed_ids

    async def release(self, event_ids: Collection[str]) -> None:
        self.released = set(event_ids)

    async def members_for_update(self, member_ids: Collection[str]) -> dict[str, MemberState]:
        return {m: await self.member(m) for m in member_ids if m not in self.erased_members}

    async def member(self, member_id: str) -> MemberState:
        return copy.deepcopy(self.states.get(member_id, MemberState(member_id)))

    async def exchange_rates(self, spans: Mapping[str, tuple[date, date]]) -> list[Rate]:
        return [
            r
            for r in self.rate_table
            if r.currency in spans and spans[r.currency][0] <= r.day <= spans[r.currency][1]
        ]

    async def records(self, event_ids: Collection[str]) -> dict[str, PurchaseRecord]:
        return {
            i: copy.deepcopy(self.purchase_records[i])
            for i in event_ids
            if i in self.purchase_records
        }

    async def budgets_for_update(self, rule_ids: Sequence[str]) -> dict[str, int]:
        return {r: self.spent.get(r, 0) for r in rule_ids}

    async def set_rates(self, rates: Sequence[Rate], *, by: str, at: datetime) -> None:
        self.rate_table.extend(rates)

    async def save(self, decided: Sequence[Decided], budgets: Mapping[str, int]) -> None:
        self._staged = (decided, budgets)

    async def forget_processed(self, before: datetime) -> int:
        old = {i for i, at in self.processed_at.items() if at < before}
        self.processed_ids -= old
        for event_id in old:
            del self.processed_at[event_id]
        self._staged = self._staged or ((), {})  # applies at once; the commit has nothing more
        return len(old)

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        if not self._erasing(member_id, now):
            return False
        self.states.pop(member_id, None)
        self._staged = self._staged or ((), {})  # applies at once, as forget_processed does
        return True

    async def commit(self) -> None:
        assert self._staged is not None
        decided, budgets = self._staged
        for d in decided:
            assert d.event.event_id not in self.processed_ids, "unique event id violated"
            self.processed_ids.add(d.event.event_id)
            self.processed_at[d.event.event_id] = datetime.now(UTC)
            for other in d.decision.others:
                self.states[other.member_id] = copy.deepcopy(other)
            self.states[d.decision.member.member_id] = copy.deepcopy(d.decision.member)
            if d.purchase is not None:
                self.purchase_records[d.purchase.event_id] = copy.deepcopy(d.purchase)
            self.awards.extend(d.decision.awards)
            self.revocations.extend(d.decision.revocations)
            if d.decision.tier_change is not None:
                self.tier_changes.append(d.decision.tier_change)
            self.moves.extend(d.placement.moves)
            self.grants.extend(d.placement.grants)
            self.steps.extend(d.steps)
            if d.placement.stage is not None:
                self.climbs.append(d.placement.stage)
        self.spent.update(budgets)
        self._staged = None


class FakeProgressions:
    async def keep(self, climbs: Sequence[StageMove], steps: Sequence[Step]) -> None:
        """(The fake keeps steps and climbs from the decisions at commit.)"""
