"""A reward redeemed on a member's locked account: the checks (catalogue, price for this
member, stock, tier, limit, points), the points spent, the stock taken, the voucher issued.
Its caller commits, or keeps the refusal (:mod:`services.ledger.service_layer.rewards`)."""

from datetime import datetime, timedelta

from services.ledger.domain import operations as ops
from services.ledger.domain.commands import RedeemReward
from services.ledger.domain.errors import RewardUnavailable, UnknownReward
from services.ledger.domain.model import MemberAccount
from services.ledger.domain.rewards import (
    Voucher,
    VoucherStatus,
    at_member_price,
    new_voucher_code,
    why_not,
)
from services.ledger.service_layer.rewards_unit_of_work import RewardsUnitOfWork


async def redeem_on(
    account: MemberAccount,
    command: RedeemReward,
    uow: RewardsUnitOfWork,
    tier_order: list[str],
    now: datetime,
) -> Voucher:
    """The reward redeemed on the locked ``account``: its points spent, its stock taken, its
    voucher issued (not yet committed)."""
    reward = await uow.rewards.reward_for_update(command.reward_id)  # then the reward's
    if reward is None:
        raise UnknownReward(f"no reward {command.reward_id!r} in the catalogue")
    reward = at_member_price(reward, await uow.rewards.member_prices(command.member_id, now))
    reasons = why_not(
        reward,
        now=now,
        available=account.available,
        tier=await uow.rewards.member_tier(command.member_id) or tier_order[0],
        tier_order=tier_order,
        redeemed_by_member=(await uow.rewards.redeemed_counts(command.member_id)).get(
            reward.reward_id, 0
        ),
    )
    if reasons:
        raise RewardUnavailable(f"{reward.name('en')}: {'; '.join(reasons)}")
    ops.redeem(
        account,
        redemption_id=command.redemption_id,
        points=reward.cost_points,
        description=reward.name("en"),  # the entry's kind says it was a redemption
        now=now,
        translations=tuple(sorted(reward.names.items())),
    )
    if reward.stock_left is not None:
        reward.stock_left -= 1
        await uow.rewards.set_stock(reward)
    voucher = Voucher(
        code=new_voucher_code(),
        reward_id=reward.reward_id,
        member_id=command.member_id,
        redemption_id=command.redemption_id,
        points=reward.cost_points,
        status=VoucherStatus.ISSUED,
        issued_at=now,
        expires_at=now + timedelta(days=reward.voucher_valid_days),
    )
    return await uow.issue_voucher(voucher, reward.names, new_voucher_code)
