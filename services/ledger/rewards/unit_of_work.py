"""The ledger's transaction, with the catalogue and vouchers beside the points."""

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.ledger_events import SOURCE
from services.ledger.rewards.domain import Reward, Voucher
from services.ledger.rewards.repository import RewardsRepository
from services.ledger.rewards.specs import RewardSpec
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from shared.contracts.envelope import new_event
from shared.contracts.ledger import VOUCHER_EVENT_PREFIX, VoucherEvent


class RewardsUnitOfWork(SqlAlchemyUnitOfWork):
    """The ledger's unit of work with the rewards' repository beside the ledger's, both built
    once per transaction."""

    def _began(self, session: AsyncSession) -> None:
        super()._began(session)
        self.rewards = RewardsRepository(session)

    async def reward_for_update(self, reward_id: str) -> Reward | None:
        return await self.rewards.reward_for_update(reward_id)

    async def save_reward(self, spec: RewardSpec) -> None:
        await self.rewards.save_reward(spec)

    async def set_stock(self, reward: Reward) -> None:
        await self.rewards.set_stock(reward)

    async def redeemed_counts(self, member_id: str) -> dict[str, int]:
        return await self.rewards.redeemed_counts(member_id)

    async def member_tier(self, member_id: str) -> str | None:
        return await self.rewards.member_tier(member_id)

    async def voucher(
        self, *, code: str | None = None, redemption_id: str | None = None, lock: bool = False
    ) -> Voucher | None:
        return await self.rewards.voucher(code=code, redemption_id=redemption_id, lock=lock)

    async def save_voucher(
        self, voucher: Voucher, reward_names: Mapping[str, str], *, refunded: bool = False
    ) -> None:
        """Store the voucher and announce its new status on ``loyalty.ledger.v1``."""
        await self.rewards.save_voucher(voucher)
        status = voucher.status.value
        payload = VoucherEvent(
            code=voucher.code,
            member_id=voucher.member_id,
            reward_id=voucher.reward_id,
            reward_name=reward_names.get("en") or voucher.reward_id,
            reward_names=dict(reward_names),
            status=status,
            points=voucher.points,
            expires_at=voucher.expires_at,
            used_at=voucher.used_at,
            refunded=refunded,
        )
        event = new_event(
            id=f"voucher/{voucher.code}/{status}",
            source=SOURCE,
            type=f"{VOUCHER_EVENT_PREFIX}{status}",
            subject=voucher.member_id,
            data=payload.model_dump(mode="json"),
        )
        await self.repository.queue(self._topic, [event])
