"""Reads and writes of the catalogue, vouchers and members' tiers."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import audit, member_prices, member_tiers, rewards, vouchers
from services.ledger.adapters.reward_specs import RewardSpec
from services.ledger.domain.rewards import Reward, Voucher, VoucherStatus
from shared.audit import record_change
from shared.bulk import insert_rows
from shared.contracts.names import STORED


class RewardsRepository:
    """The catalogue, stock, vouchers and members' tiers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def catalogue(self) -> list[Reward]:
        rows = await self.session.execute(select(rewards).order_by(rewards.c.reward_id))
        return [
            RewardSpec.model_validate(r.spec, context=STORED).to_reward(r.stock_left) for r in rows
        ]

    async def save_reward(self, spec: RewardSpec, *, by: str) -> None:
        """Create or change a catalogue entry; a new ``stock`` moves what is left by the change.
        The change is in the audit trail (an unchanged entry writes nothing)."""
        row = (
            await self.session.execute(
                select(rewards).where(rewards.c.reward_id == spec.id).with_for_update()
            )
        ).first()
        now = datetime.now(UTC)
        document = spec.model_dump(mode="json")
        if row is not None and row.spec == document:
            return
        await record_change(
            self.session,
            audit,
            actor=by,
            action="saved",
            kind="reward",
            object_id=spec.id,
            before=None if row is None else row.spec,
            after=document,
            at=now,
        )
        if row is None:
            await self.session.execute(
                insert(rewards).values(
                    reward_id=spec.id,
                    spec=document,
                    stock_left=spec.stock,
                    updated_at=now,
                )
            )
            return
        old_stock = _spec(row.spec).stock
        left: int | None = None
        if spec.stock is not None:
            if row.stock_left is None or old_stock is None:
                left = spec.stock  # was unlimited: start counting now
            else:
                left = max(0, row.stock_left + spec.stock - old_stock)
        await self.session.execute(
            update(rewards)
            .where(rewards.c.reward_id == spec.id)
            .values(spec=document, stock_left=left, updated_at=now)
        )

    async def reward_for_update(self, reward_id: str) -> Reward | None:
        row = (
            await self.session.execute(
                select(rewards).where(rewards.c.reward_id == reward_id).with_for_update()
            )
        ).first()
        return None if row is None else _spec(row.spec).to_reward(row.stock_left)

    async def set_stock(self, reward: Reward) -> None:
        await self.session.execute(
            update(rewards)
            .where(rewards.c.reward_id == reward.reward_id)
            .values(stock_left=reward.stock_left, updated_at=datetime.now(UTC))
        )

    async def vouchers_of(self, member_id: str, reward_id: str | None = None) -> list[Voucher]:
        query = select(vouchers).where(vouchers.c.member_id == member_id)
        if reward_id is not None:
            query = query.where(vouchers.c.reward_id == reward_id)
        rows = await self.session.execute(query.order_by(vouchers.c.issued_at.desc()))
        return [_voucher(r._mapping) for r in rows]

    async def redeemed_counts(self, member_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(vouchers.c.reward_id, func.count().label("n"))
            .where(
                vouchers.c.member_id == member_id,
                vouchers.c.status != VoucherStatus.CANCELLED.value,
            )
            .group_by(vouchers.c.reward_id)
        )
        return {r.reward_id: int(r.n) for r in rows}

    async def voucher(
        self,
        *,
        code: str | None = None,
        redemption_id: str | None = None,
        lock: bool = False,
    ) -> Voucher | None:
        where = (
            vouchers.c.code == code
            if code is not None
            else (vouchers.c.redemption_id == redemption_id)
        )
        query = select(vouchers).where(where)
        row = (await self.session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else _voucher(row._mapping)

    async def add_voucher(self, v: Voucher) -> bool:
        """Issue a new voucher; False if its code is taken (by another member's voucher,
        which is left as it is): draw another code."""
        values = {c.name: getattr(v, c.name) for c in vouchers.columns} | {"status": v.status.value}
        added = await insert_rows(
            self.session, vouchers, [values], on_conflict="nothing", key=["code"], returning="code"
        )
        return bool(added)

    async def update_voucher(self, v: Voucher) -> None:
        """A voucher's new status (used, cancelled, expired): only that voucher's row."""
        await self.session.execute(
            update(vouchers)
            .where(vouchers.c.code == v.code, vouchers.c.redemption_id == v.redemption_id)
            .values(
                status=v.status.value,
                used_at=v.used_at,
                used_where=v.used_where,
                used_key=v.used_key,
            )
        )

    async def expired_vouchers(self, now: datetime, limit: int) -> list[str]:
        rows = await self.session.scalars(
            select(vouchers.c.code)
            .where(
                vouchers.c.status == VoucherStatus.ISSUED.value,
                vouchers.c.expires_at <= now,
            )
            .limit(limit)
        )
        return list(rows)

    async def member_prices(self, member_id: str, now: datetime) -> dict[str, tuple[int, str]]:
        """Per reward an offer made cheaper for the member and still runs: the lowest price,
        and the offer."""
        rows = await self.session.execute(
            select(member_prices.c.reward_id, member_prices.c.points, member_prices.c.offer_id)
            .where(
                member_prices.c.member_id == member_id,
                (member_prices.c.valid_until.is_(None)) | (member_prices.c.valid_until > now),
            )
            .order_by(member_prices.c.points.desc(), member_prices.c.offer_id)
        )
        return {reward: (int(points), offer) for reward, points, offer in rows}

    async def member_tier(self, member_id: str) -> str | None:
        return await self.session.scalar(
            select(member_tiers.c.tier).where(member_tiers.c.member_id == member_id)
        )


def _voucher(row: Any) -> Voucher:
    return Voucher(**{**row, "status": VoucherStatus(row["status"])})


def _spec(stored: object) -> RewardSpec:
    """A reward as it was saved (names checked when saved, not again)."""
    return RewardSpec.model_validate(stored, context=STORED)
