"""Spending points on rewards: a redemption debits the points, takes one from stock and issues
a voucher in one transaction; vouchers are used once, cancelled (points back) or expire."""

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.reward_specs import RewardSpec
from services.ledger.adapters.rewards_repository import RewardsRepository
from services.ledger.domain import operations as ops
from services.ledger.domain.commands import RedeemReward
from services.ledger.domain.entries import BalanceView, Cause
from services.ledger.domain.errors import (
    UnknownVoucher,
    VoucherNotUsable,
)
from services.ledger.domain.model import Policy
from services.ledger.domain.redemptions import Redemption
from services.ledger.domain.rewards import Reward, Voucher, VoucherStatus, why_not
from services.ledger.service_layer.handlers import (
    KEPT_REFUSALS,
    already_done,
    commit_operations,
    keep_refusal,
    refuse_unknown_member,
    refused_before,
    with_retries,
)
from services.ledger.service_layer.redeeming import redeem_on
from services.ledger.service_layer.rewards_unit_of_work import RewardsUnitOfWork

__all__ = ["Reward", "RewardOutcome", "cancel_voucher", "redeem_reward", "use_voucher", "why_not"]


@dataclass(frozen=True, slots=True)
class RewardOutcome:
    redemption: Redemption
    voucher: Voucher
    balance: BalanceView
    replayed: bool


async def redeem_reward(
    command: RedeemReward,
    *,
    uow: RewardsUnitOfWork,
    tier_order: list[str],
    now: datetime | None = None,
) -> RewardOutcome:
    now = now or datetime.now(UTC)
    async with uow:
        account = await uow.accounts.load(command.member_id, redemption_ids=[command.redemption_id])
        if await already_done(uow, command.redemption_id, command):
            voucher = await uow.rewards.voucher(redemption_id=command.redemption_id)
            assert voucher is not None, "a reward redemption always issues a voucher"
            redemption = account.redemptions[command.redemption_id]
            return RewardOutcome(redemption, voucher, account.view(), replayed=True)
        await refused_before(uow, command.redemption_id, command)
        if account.version == 0:
            await refuse_unknown_member(uow, command.redemption_id, command)
        try:
            voucher = await redeem_on(account, command, uow, tier_order, now)
        except KEPT_REFUSALS as refused:
            await keep_refusal(uow, command.redemption_id, command, refused)
            raise
        await commit_operations(uow, account, command)
    redemption = account.redemptions[command.redemption_id]
    return RewardOutcome(redemption, voucher, account.view(), replayed=False)


async def use_voucher(
    code: str,
    *,
    where: str,
    uow: RewardsUnitOfWork,
    now: datetime | None = None,
    basket_total: Decimal | None = None,
    key: str | None = None,
) -> Voucher:
    """Mark a voucher used, exactly once; any later use is refused saying why, and so is a
    basket below the reward's minimum. A retry with the use's idempotency ``key`` (a till that
    never heard the answer) is that same use, answered again."""
    now = now or datetime.now(UTC)
    async with uow:
        voucher = await uow.rewards.voucher(code=code, lock=True)
        if voucher is None:
            raise UnknownVoucher(f"no voucher {code!r}")
        if key is not None and voucher.status is VoucherStatus.USED and voucher.used_key == key:
            return voucher
        _usable(voucher, now)
        reward = await uow.rewards.reward_for_update(voucher.reward_id)
        minimum = reward.details.get("min_basket") if reward else None
        if minimum is not None and (basket_total is None or basket_total < Decimal(minimum)):
            raise VoucherNotUsable(f"voucher {code} needs a basket of at least {minimum}")
        voucher.status, voucher.used_at, voucher.used_where = VoucherStatus.USED, now, where
        voucher.used_key = key
        await uow.save_voucher(voucher, reward.names if reward else {"en": voucher.reward_id})
        await uow.commit()
    return voucher


async def cancel_voucher(
    code: str,
    *,
    member_id: str | None,
    uow: RewardsUnitOfWork,
    policy: Policy,
    now: datetime | None = None,
    expired: bool = False,
) -> Voucher:
    """Cancel (or expire) an unused voucher. A cancellation gives the points back with a new
    entry, and the stock; an expiry does so only if the reward says so. Cancelling a cancelled
    voucher answers it again and changes nothing (a retry after a lost answer)."""
    now = now or datetime.now(UTC)
    async with uow:
        found = await uow.rewards.voucher(code=code)
        if found is None or (member_id is not None and found.member_id != member_id):
            raise UnknownVoucher(f"no voucher {code!r}")
        if not expired and found.status is VoucherStatus.CANCELLED:
            return found
        account = await uow.accounts.load(found.member_id)  # lock order: member, voucher, reward
        voucher = await uow.rewards.voucher(code=code, lock=True)
        assert voucher is not None
        _usable(voucher, now if not expired else voucher.expires_at - timedelta(microseconds=1))
        reward = await uow.rewards.reward_for_update(voucher.reward_id)
        names = reward.names if reward else {"en": voucher.reward_id}
        name = names.get("en") or voucher.reward_id
        # (A gift's voucher cost no points: nothing to give back.)
        refund = voucher.points > 0 and (
            not expired or (reward is not None and reward.refund_on_expiry)
        )
        if refund:
            why = "expired" if expired else "cancelled"
            ops.refund(
                account,
                operation_id=f"{voucher.redemption_id}/refund",
                points=voucher.points,
                now=now,
                policy=policy,
                cause=Cause(
                    explanation=f"voucher {code} for {name} {why}",
                    translations=_refund_texts(code, names, expired=expired),
                ),
            )
        if reward is not None and reward.stock_left is not None and not expired:
            reward.stock_left += 1
            await uow.rewards.set_stock(reward)
        voucher.status = VoucherStatus.EXPIRED if expired else VoucherStatus.CANCELLED
        await uow.save_voucher(voucher, names, refunded=refund)
        await uow.save(account)
        await uow.commit()
    return voucher


def _usable(voucher: Voucher, now: datetime) -> None:
    if voucher.status is VoucherStatus.USED:
        raise VoucherNotUsable(
            f"voucher {voucher.code} was already used "
            f"({voucher.used_at:%Y-%m-%d %H:%M} UTC, {voucher.used_where})"
        )
    if voucher.status is not VoucherStatus.ISSUED:
        raise VoucherNotUsable(f"voucher {voucher.code} is {voucher.status.value}")
    if voucher.expires_at <= now:
        raise VoucherNotUsable(f"voucher {voucher.code} expired on {voucher.expires_at:%Y-%m-%d}")


async def save_reward(spec: RewardSpec, *, uow: RewardsUnitOfWork, by: str) -> None:
    """Create or change a reward; changing its stock moves what is left by the difference."""
    async with uow:
        await uow.rewards.save_reward(spec, by=by)
        await uow.commit()


async def expire_vouchers(
    sessions: async_sessionmaker[AsyncSession],
    uow_factory: Callable[[], RewardsUnitOfWork],
    policy: Policy,
    *,
    now: datetime | None = None,
) -> int:
    """Expire unused vouchers past their date (refunding where the reward says so)."""
    now = now or datetime.now(UTC)
    async with sessions() as session:
        due = await RewardsRepository(session).expired_vouchers(now, limit=1000)
    for code in due:

        async def step(code: str = code) -> None:
            with contextlib.suppress(VoucherNotUsable):  # used or cancelled meanwhile
                await cancel_voucher(
                    code, member_id=None, uow=uow_factory(), policy=policy, now=now, expired=True
                )

        await with_retries(step)
    return len(due)


_REFUND_TEXTS = {
    "en": ("voucher {code} for {name} cancelled", "voucher {code} for {name} expired"),
    "da": ("voucher {code} til {name} annulleret", "voucher {code} til {name} udløbet"),
    "sv": ("voucher {code} för {name} annullerad", "voucher {code} för {name} har gått ut"),
}


def _refund_texts(
    code: str, names: Mapping[str, str], *, expired: bool
) -> tuple[tuple[str, str], ...]:
    """A refund's reason in each language members read, with the reward's name in it."""
    english = names.get("en", "")
    return tuple(
        (language, texts[expired].format(code=code, name=names.get(language) or english))
        for language, texts in _REFUND_TEXTS.items()
    )
