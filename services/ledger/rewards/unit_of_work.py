"""The ledger's transaction, with the catalogue and vouchers beside the points."""

from collections.abc import Mapping

from services.ledger.adapters.ledger_events import SOURCE
from services.ledger.adapters.orm import outbox
from services.ledger.rewards import repository as repo
from services.ledger.rewards.domain import Reward, Voucher
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from shared.contracts.envelope import new_event
from shared.contracts.ledger import VOUCHER_EVENT_PREFIX, VoucherEvent
from shared.outbox import queue_events


class RewardsUnitOfWork(SqlAlchemyUnitOfWork):
    async def reward_for_update(self, reward_id: str) -> Reward | None:
        return await repo.reward_for_update(self.session, reward_id)

    async def set_stock(self, reward: Reward) -> None:
        await repo.set_stock(self.session, reward)

    async def redeemed_counts(self, member_id: str) -> dict[str, int]:
        return await repo.redeemed_counts(self.session, member_id)

    async def member_tier(self, member_id: str) -> str | None:
        return await repo.member_tier(self.session, member_id)

    async def voucher(
        self, *, code: str | None = None, redemption_id: str | None = None, lock: bool = False
    ) -> Voucher | None:
        return await repo.voucher(self.session, code=code, redemption_id=redemption_id, lock=lock)

    async def save_voucher(
        self, voucher: Voucher, reward_names: Mapping[str, str], *, refunded: bool = False
    ) -> None:
        """Store the voucher and announce its new status on ``loyalty.ledger.v1``."""
        await repo.save_voucher(self.session, voucher)
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
        await queue_events(self.session, outbox, self._topic, [event])
