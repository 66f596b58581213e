"""A Hypothesis state machine for the ledger: arbitrary sequences of earning (pending or not),
returns, redemptions, holds, time passing (maturing, expiry, lapsed holds) and duplicate or
conflicting deliveries, checking after every step what a finance team would check."""

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.orm import account_key_of, balances, entries
from services.ledger.adapters.reconciliation import reconcile
from services.ledger.domain.commands import (
    RecordAward,
    RedeemPoints,
    RevokePoints,
    RunDueWork,
    SettleRedemption,
)
from services.ledger.domain.errors import (
    IdempotencyConflict,
    InsufficientPoints,
    RedemptionStateConflict,
    UnknownMember,
)
from services.ledger.domain.model import Policy
from services.ledger.service_layer import handlers
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork

POLICY = Policy(expire_after=timedelta(days=60))
RETURN_WINDOW = timedelta(days=14)
points = st.integers(min_value=1, max_value=500)


class LedgerMachine(RuleBasedStateMachine):
    """Set ``runner`` (an asyncio.Runner) and ``sessions`` before running."""

    runner: asyncio.Runner
    sessions: async_sessionmaker[AsyncSession]

    awards = Bundle("awards")
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.run_id = uuid.uuid4().hex[:8]
        self.now = datetime(2026, 1, 1, tzinfo=UTC)
        self.net: dict[str, int] = {}  # earned - reversed - spent (captured), per member

    def _do(self, call: Callable[[], Any]) -> Any:
        return self.runner.run(handlers.with_retries(call))

    def _uow(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.sessions, "ledger")

    def _member(self, n: int) -> str:
        return f"sm-{self.run_id}-{n}"

    def _state(self, member: str) -> tuple[tuple[int, ...], int]:
        async def read() -> tuple[tuple[int, ...], int]:
            async with self.sessions() as s:
                row = (
                    await s.execute(select(balances).where(balances.c.member_id == member))
                ).first()
                count = await s.scalar(
                    select(func.count()).where(entries.c.account_key == account_key_of(member))
                )
            values = (
                (0, 0, 0, 0, 0)
                if row is None
                else (
                    row.available,
                    row.pending,
                    row.held,
                    row.lifetime_earned,
                    row.lifetime_redeemed,
                )
            )
            return values, int(count or 0)

        return self.runner.run(read())

    def _breakage(self, member: str) -> int:
        async def read() -> int:
            async with self.sessions() as s:
                total = await s.scalar(
                    select(func.coalesce(func.sum(entries.c.points), 0)).where(
                        entries.c.account_key == account_key_of(member), entries.c.kind == "expire"
                    )
                )
            return int(total or 0)

        return self.runner.run(read())

    @initialize()
    def members(self) -> None:
        self.net = {self._member(n): 0 for n in range(3)}

    @rule(target=awards, member=st.integers(0, 2), amount=points, pending=st.booleans())
    def earn(self, member: int, amount: int, pending: bool) -> RecordAward:
        award = RecordAward(
            award_id=f"award-{uuid.uuid4().hex}",
            member_id=self._member(member),
            points=amount,
            rule_id="base-earn",
            rule_version=1,
            explanation="test earn",
            source_event_id=f"purchase-{uuid.uuid4().hex}",
            pending_until=self.now + RETURN_WINDOW if pending else None,
        )
        before, _ = self._state(award.member_id)
        self._do(lambda: handlers.record_award(award, uow=self._uow(), policy=POLICY, now=self.now))
        after, _ = self._state(award.member_id)
        assert after[3] == before[3] + amount, "lifetime earned grows by the award"
        assert after[0] + after[1] == before[0] + before[1] + amount
        self.net[award.member_id] += amount
        return award

    @rule(award=awards)
    def deliver_award_again(self, award: RecordAward) -> None:
        before = self._state(award.member_id)
        self._do(lambda: handlers.record_award(award, uow=self._uow(), policy=POLICY, now=self.now))
        assert self._state(award.member_id) == before, "a duplicate award changed something"

    @rule(award=awards, extra=points)
    def conflicting_award(self, award: RecordAward, extra: int) -> None:
        changed = dataclasses.replace(award, points=award.points + extra)
        before = self._state(award.member_id)
        try:
            self._do(
                lambda: handlers.record_award(changed, uow=self._uow(), policy=POLICY, now=self.now)
            )
            raise AssertionError("the same award id with other points was accepted")
        except IdempotencyConflict:
            pass
        assert self._state(award.member_id) == before

    @rule(award=consumes(awards), share=st.sampled_from([1.0, 0.5, 0.25]))
    def return_purchase(self, award: RecordAward, share: float) -> None:
        amount = max(1, int(award.points * share))
        revocation = RevokePoints(
            revocation_id=f"return-{uuid.uuid4().hex}",
            member_id=award.member_id,
            points=amount,
            revokes_event_id=award.source_event_id,
            rule_id="base-earn",
            rule_version=1,
            explanation="returned",
            source_event_id=f"ret-{uuid.uuid4().hex}",
        )
        before, _ = self._state(award.member_id)
        for _ in range(2):  # the second delivery must change nothing
            self._do(lambda: handlers.revoke_points(revocation, uow=self._uow(), now=self.now))
        after, _ = self._state(award.member_id)
        assert after[0] + after[1] == before[0] + before[1] - amount
        assert after[3] == before[3] - amount
        self.net[award.member_id] -= amount

    @rule(target=holds, member=st.integers(0, 2), amount=points, hold=st.booleans())
    def redeem(self, member: int, amount: int, hold: bool) -> Any:
        return self._redeem(self._member(member), amount, hold)

    @rule(
        target=holds, member=st.integers(0, 2), edge=st.sampled_from([-1, 0, 1]), hold=st.booleans()
    )
    def redeem_all_or_one_more(self, member: int, edge: int, hold: bool) -> Any:
        """Redeem right at the edge: the whole balance, one point less, one point more."""
        member_id = self._member(member)
        available = self._state(member_id)[0][0]
        return self._redeem(member_id, max(1, available + edge), hold)

    def _redeem(self, member_id: str, amount: int, hold: bool) -> Any:
        command = RedeemPoints(
            redemption_id=f"r-{uuid.uuid4().hex}",
            member_id=member_id,
            points=amount,
            description="a reward",
            hold_seconds=3 * 86400 if hold else None,
        )
        (before, count) = self._state(member_id)
        try:
            self._do(lambda: handlers.redeem_points(command, uow=self._uow(), now=self.now))
        except (InsufficientPoints, UnknownMember):
            assert before[0] < amount, "a redemption was refused although the points were there"
            assert self._state(member_id) == (before, count), "a refusal changed something"
            return multiple()
        assert before[0] >= amount, "a redemption drove available below zero"
        after, _ = self._state(member_id)
        assert after[0] == before[0] - amount
        if hold:
            assert after[2] == before[2] + amount, "held points are set aside, not spent"
            return command
        self.net[member_id] -= amount
        return multiple()

    @rule(hold=consumes(holds), capture=st.booleans())
    def settle(self, hold: RedeemPoints, capture: bool) -> None:
        command = SettleRedemption(hold.redemption_id, hold.member_id, capture=capture)
        before = self._state(hold.member_id)
        try:
            outcome = self._do(
                lambda: handlers.settle_redemption(command, uow=self._uow(), now=self.now)
            )
        except RedemptionStateConflict:
            assert capture, "only capturing a hold that lapsed may be refused"
            assert self._state(hold.member_id) == before
            return
        if capture and not outcome.replayed:
            self.net[hold.member_id] -= hold.points

    @rule(days=st.integers(min_value=1, max_value=90))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)
        for member_id in self.net:
            for _ in range(2):  # the jobs are safe to run twice
                self._run_jobs(RunDueWork(member_id))

    def _run_jobs(self, command: RunDueWork) -> None:
        self._do(
            lambda: handlers.run_due_work(command, uow=self._uow(), policy=POLICY, now=self.now)
        )

    @invariant()
    def books_balance_and_balances_equal_entries(self) -> None:
        async def check() -> None:
            async with self.sessions() as s:
                report = await reconcile(s, members=list(self.net))
            assert report.ok, report.mismatches[:5]

        self.runner.run(check())
        for member_id, net in self.net.items():
            (available, pending, held, *_), _ = self._state(member_id)
            assert pending >= 0
            assert held >= 0
            assert available + pending + held == net - self._breakage(member_id), member_id
