"""Rewards given free: a challenge's catalogue reward, a voucher for no points. Given once
per gift (the challenge's completion), whatever the stock says (a prize once promised is
given; what is left still counts it down)."""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from services.ledger.domain.commands import GiveReward
from services.ledger.domain.rewards import Voucher, VoucherStatus, new_voucher_code
from services.ledger.service_layer.rewards_unit_of_work import RewardsUnitOfWork

log = logging.getLogger(__name__)


async def give_rewards(
    gifts: Sequence[GiveReward],
    *,
    uow_factory: Callable[[], RewardsUnitOfWork],
    now: datetime | None = None,
) -> int:
    """Issue each gift's voucher (none twice: a gift's id is its voucher's redemption id); how
    many were issued. A reward no longer in the catalogue is logged and not given."""
    now = now or datetime.now(UTC)
    issued = 0
    async with uow_factory() as uow:
        for gift in gifts:
            if await uow.rewards.voucher(redemption_id=gift.gift_id) is not None:
                continue  # given before (a redelivery)
            reward = await uow.rewards.reward_for_update(gift.reward_id)
            if reward is None:
                log.warning(
                    "a challenge's reward is not in the catalogue; not given",
                    extra={"reward_id": gift.reward_id, "gift_id": gift.gift_id},
                )
                continue
            voucher = Voucher(
                code=new_voucher_code(),
                reward_id=reward.reward_id,
                member_id=gift.member_id,
                redemption_id=gift.gift_id,
                points=0,
                status=VoucherStatus.ISSUED,
                issued_at=now,
                expires_at=now + timedelta(days=reward.voucher_valid_days),
            )
            await uow.issue_voucher(voucher, reward.names, new_voucher_code)
            if reward.stock_left is not None and reward.stock_left > 0:
                reward.stock_left -= 1
                await uow.rewards.set_stock(reward)
            issued += 1
        if issued:
            await uow.commit()
    return issued
