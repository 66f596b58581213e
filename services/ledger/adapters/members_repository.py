"""What the ledger keeps about members beside their points: their newest tier (for
tier-gated rewards), and whom it has forgotten."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import (
    balances,
    erased_members,
    lots,
    member_prices,
    member_tiers,
    redemptions,
    vouchers,
)
from services.ledger.domain.commands import NotePrice
from services.ledger.domain.rewards import VoucherStatus
from shared.bulk import insert_rows
from shared.erasure.keys import anonymous_key
from shared.erasure.table import erased_among, record_erasure


class MembersRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def erase(self, member_id: str, now: datetime) -> bool:
        """Forget who the member's account belongs to; False if that was done before. Their
        vouchers not yet used are cancelled; their balance row, lots, redemptions, vouchers
        and tier move to the account key, which then leads to no one. The entries and
        operations (already under the key) are not touched: the books still add up.

        The balance row is locked first, as every writer does (then the erasure's lock, which
        a chunk takes after its rows: :func:`shared.erasure.table.erased_among`), so the two
        queue up and never deadlock."""
        key = await self._session.scalar(
            select(balances.c.account_key)
            .where(balances.c.member_id == member_id)
            .with_for_update()
        )
        if not await record_erasure(self._session, erased_members, member_id, now):
            return False
        await self._session.execute(
            update(vouchers)
            .where(
                vouchers.c.member_id == member_id, vouchers.c.status == VoucherStatus.ISSUED.value
            )
            .values(status=VoucherStatus.CANCELLED.value)
        )
        key = key or anonymous_key()  # (a member who never had points)
        for table in (lots, redemptions, vouchers, member_tiers, balances):
            await self._session.execute(
                update(table).where(table.c.member_id == member_id).values(member_id=key)
            )
        await self._session.execute(
            delete(member_prices).where(member_prices.c.member_id == member_id)
        )
        return True

    async def save_prices(self, prices: Sequence[NotePrice]) -> None:
        gone = await erased_among(self._session, erased_members, [p.member_id for p in prices])
        prices = [p for p in prices if p.member_id not in gone]
        await insert_rows(
            self._session,
            member_prices,
            [
                {
                    "member_id": p.member_id,
                    "reward_id": p.reward_id,
                    "offer_id": p.offer_id,
                    "points": p.points,
                    "valid_until": p.valid_until,
                    "granted_at": p.granted_at,
                }
                for p in prices
            ],
            on_conflict="update",
            key=["member_id", "reward_id", "offer_id"],
        )

    async def save_tiers(self, tiers: Mapping[str, tuple[str, datetime]]) -> None:
        """The members' newest tiers, ``{member: (tier, changed_at)}``; an older change never
        overwrites a newer one."""
        gone = await erased_among(self._session, erased_members, list(tiers))
        rows = [
            {"member_id": m, "tier": t, "changed_at": at}
            for m, (t, at) in sorted(tiers.items())
            if m not in gone  # (a late repeat of an erased member's news keeps nothing)
        ]
        await insert_rows(
            self._session,
            member_tiers,
            rows,
            on_conflict="update",
            key=["member_id"],
            update_where="member_tiers.changed_at <= EXCLUDED.changed_at",
        )
