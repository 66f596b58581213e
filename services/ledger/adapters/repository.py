"""Loads a member's account under a row lock and writes back what its operations changed."""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import (
    balances,
    entries,
    erased_members,
    lots,
    operations,
    outbox,
    redemptions,
)
from services.ledger.adapters.refusals import KeptRefusals
from services.ledger.adapters.rows import (
    NO_POINTS,
    entry_row,
    lot_of,
    lot_row,
    operation_row,
    redemption_of,
    redemption_row,
)
from services.ledger.adapters.statements import (
    fingerprints_by_id,
    lock_balances,
    open_lot,
    open_lots,
)
from services.ledger.domain.entries import Operation
from services.ledger.domain.model import MemberAccount
from services.ledger.domain.redemptions import RedemptionStatus
from shared.bulk import insert_rows, locked_or_seeded, update_rows
from shared.contracts.envelope import CloudEvent
from shared.db import one_of
from shared.erasure.keys import anonymous_key, is_anonymous
from shared.erasure.model import MemberWasErased
from shared.erasure.table import erased_among
from shared.errors import RetryLater
from shared.outbox import queue_events


class RepeatedOperations(RetryLater):
    """Operations already recorded (by an earlier delivery, or a replica just now): the
    transaction must not commit; done again after reading their fingerprints, they are
    recognised as repeats."""


class LedgerRepository(KeptRefusals):
    """Members' accounts, any number at a time: one statement per kind of row."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = self._session = session
        self._dialect = session.get_bind().dialect.name
        self._keys: dict[str, str] = {}  # member id -> account key, of the accounts loaded
        self.erased: dict[str, datetime] = {}  # members asked for who were erased, and when

    async def operation_fingerprint(self, operation_id: str) -> str | None:
        return (await self.fingerprints([operation_id])).get(operation_id)

    async def fingerprints(self, operation_ids: Collection[str]) -> dict[str, str]:
        if not operation_ids:
            return {}
        rows = await self._session.execute(
            fingerprints_by_id(self._dialect), {"ids": list(operation_ids)}
        )
        return {r.operation_id: r.fingerprint for r in rows}

    async def balances_for_update(self, member_ids: Collection[str]) -> dict[str, MemberAccount]:
        """The accounts, without their lots; the balance rows (seeded for new members, each
        with a new account key) stay locked until commit. Every writer locks balance rows
        first, in member-id order, so writers of one member queue up there and two never
        deadlock. An erased member gets no account: they are left out (and in ``erased``)."""
        now = datetime.now(UTC)
        return await locked_or_seeded(
            self._session,
            balances,
            list(member_ids),
            self._locked_balances,
            lambda new: [
                {
                    "member_id": m,
                    "account_key": anonymous_key(),
                    **NO_POINTS,
                    "version": 0,
                    "updated_at": now,
                }
                for m in new
            ],
            never=self._erased_among,
        )

    async def _erased_among(self, member_ids: list[str]) -> Collection[str]:
        self.erased |= await erased_among(self._session, erased_members, member_ids)
        return self.erased.keys()

    async def _locked_balances(self, ordered: list[str]) -> dict[str, MemberAccount]:
        rows = (await self._session.execute(lock_balances(self._dialect), {"ids": ordered})).all()
        self._keys.update((r.member_id, r.account_key) for r in rows)
        return {
            r.member_id: MemberAccount(
                r.member_id,
                available=r.available,
                pending=r.pending,
                held=r.held,
                lifetime_earned=r.lifetime_earned,
                lifetime_redeemed=r.lifetime_redeemed,
                version=r.version,
            )
            for r in rows
        }

    async def load_open_lots(
        self, accounts: Collection[MemberAccount], lot_ids: Collection[str] = ()
    ) -> None:
        """Add their open lots (pending, or available with points left) to the accounts,
        and the lots ``lot_ids`` whatever their state."""
        if not accounts:
            return
        by_member = {a.member_id: a for a in accounts}
        if lot_ids:
            wanted = or_(open_lot(), lots.c.lot_id.in_(sorted(lot_ids)))
            query = select(lots).where(one_of(lots.c.member_id, by_member, self._dialect), wanted)
            rows = await self._session.execute(query)
        else:  # (every chunk of earnings: the statement built once)
            rows = await self._session.execute(open_lots(self._dialect), {"ids": list(by_member)})
        for row in rows:
            lot = lot_of(row._mapping)
            by_member[lot.member_id].lots.setdefault(lot.lot_id, lot)

    async def load(
        self, member_id: str, *, lot_ids: Collection[str] = (), redemption_ids: Collection[str] = ()
    ) -> MemberAccount:
        """One account with its open lots and the given redemptions, locked until commit;
        MemberWasErased for a member who was erased."""
        account = (await self.balances_for_update([member_id])).get(member_id)
        if account is None:
            raise MemberWasErased(member_id, self.erased[member_id])
        redemption_rows = (
            (
                await self._session.execute(
                    select(redemptions).where(
                        redemptions.c.redemption_id.in_(list(redemption_ids)),
                        redemptions.c.member_id == member_id,
                    )
                )
            ).all()
            if redemption_ids
            else []
        )
        for r in redemption_rows:
            redemption = redemption_of(r._mapping)
            account.redemptions[redemption.redemption_id] = redemption
        # Open lots, plus those a loaded redemption took points from (a release returns them).
        wanted = {*lot_ids, *(i for r in account.redemptions.values() for i in r.allocations)}
        await self.load_open_lots([account], wanted)
        return account

    async def save(self, account: MemberAccount) -> list[Operation]:
        return await self.save_all([account])

    async def save_all(self, accounts: Collection[MemberAccount]) -> list[Operation]:
        """Write the accounts' new operations, entries, balances, lots and redemptions; the
        operations written."""
        new = [op for a in accounts for op in a.operations]
        session = self._session
        written = await insert_rows(
            session,
            operations,
            [operation_row(op, self._keys[op.member_id]) for op in new],
            on_conflict="nothing",
            key=["operation_id"],
            returning="operation_id",
        )
        if len(written) < len(new):
            raise RepeatedOperations(f"{len(new) - len(written)} operation(s) recorded before")
        rows = [entry_row(e, self._keys[op.member_id]) for op in new for e in op.entries]
        await insert_rows(session, entries, rows)
        await self._save_balances(accounts)
        changed_lots = [lot_row(a.lots[i]) for a in accounts for i in sorted(a.changed_lots)]
        await insert_rows(session, lots, changed_lots, on_conflict="update", key=["lot_id"])
        changed = [
            redemption_row(a.redemptions[i])
            for a in accounts
            for i in sorted(a.changed_redemptions)
        ]
        await insert_rows(
            session, redemptions, changed, on_conflict="update", key=["redemption_id"]
        )
        for a in accounts:
            a.operations, a.changed_lots, a.changed_redemptions = [], set(), set()
        return new

    async def queue(self, topic: str, events: Sequence[CloudEvent]) -> None:
        """Queue events in the outbox (they leave with the commit); an erased member's
        account (its lots expiring, its holds lapsing) tells no one."""
        told = [e for e in events if not is_anonymous(e.subject)]
        await queue_events(self._session, outbox, topic, told)

    async def expired_holds(self, member_id: str, now: datetime) -> list[str]:
        found = await self._session.scalars(
            select(redemptions.c.redemption_id).where(
                redemptions.c.member_id == member_id,
                redemptions.c.status == RedemptionStatus.HELD.value,
                redemptions.c.hold_expires_at <= now,
            )
        )
        return list(found)

    async def _save_balances(self, accounts: Collection[MemberAccount]) -> None:
        """Rows locked by :meth:`balances_for_update`: plain updates."""
        now = datetime.now(UTC)
        await update_rows(
            self._session,
            balances,
            [
                {
                    "member_id": a.member_id,
                    "available": a.available,
                    "pending": a.pending,
                    "held": a.held,
                    "lifetime_earned": a.lifetime_earned,
                    "lifetime_redeemed": a.lifetime_redeemed,
                    "version": a.version + 1,
                    "updated_at": now,
                }
                for a in accounts
            ],
            key="member_id",
        )
        for a in accounts:
            a.version += 1
