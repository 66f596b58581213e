"""What the rewards' routes read: the catalogue, a member's tier, what they have redeemed, their
vouchers. Straight reads, no locks."""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.rewards_repository import RewardsRepository
from services.ledger.domain.rewards import Reward, Voucher


async def catalogue(session: AsyncSession) -> list[Reward]:
    return await RewardsRepository(session).catalogue()


async def member_tier(session: AsyncSession, member_id: str) -> str | None:
    return await RewardsRepository(session).member_tier(member_id)


async def redeemed_counts(session: AsyncSession, member_id: str) -> dict[str, int]:
    """Per reward, the member's vouchers that were not cancelled."""
    return await RewardsRepository(session).redeemed_counts(member_id)


async def vouchers_of(session: AsyncSession, member_id: str) -> list[Voucher]:
    return await RewardsRepository(session).vouchers_of(member_id)


async def member_prices(
    session: AsyncSession, member_id: str, now: datetime
) -> dict[str, tuple[int, str]]:
    """Rewards offers made cheaper for the member: (points, offer) each."""
    return await RewardsRepository(session).member_prices(member_id, now)
