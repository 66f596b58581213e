"""The ledger's transaction, with the catalogue and vouchers beside the points."""

import dataclasses
from collections.abc import Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.ledger_events import SOURCE
from services.ledger.adapters.rewards_repository import RewardsRepository
from services.ledger.domain.rewards import Voucher
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from shared.contracts.envelope import new_event
from shared.contracts.ledger import VOUCHER_EVENT_PREFIX, VoucherEvent
from shared.errors import RetryLater

_DRAWS = 5  # codes drawn for one voucher before giving up (RetryLater)


class RewardsUnitOfWork(SqlAlchemyUnitOfWork):
    """The ledger's unit of work with the rewards' repository beside the ledger's, both built
    once per transaction."""

    def _began(self, session: AsyncSession) -> None:
        super()._began(session)
        self.rewards = RewardsRepository(session)

    async def issue_voucher(
        self, voucher: Voucher, reward_names: Mapping[str, str], new_code: Callable[[], str]
    ) -> Voucher:
        """Store a new voucher and announce it; a code another voucher has (60 random bits:
        rare, never impossible) is drawn again, never overwriting that voucher."""
        for _ in range(_DRAWS):
            if await self.rewards.add_voucher(voucher):
                await self._announce(voucher, reward_names, refunded=False)
                return voucher
            voucher = dataclasses.replace(voucher, code=new_code())
        raise RetryLater(f"{_DRAWS} voucher codes in a row were taken")

    async def save_voucher(
        self, voucher: Voucher, reward_names: Mapping[str, str], *, refunded: bool = False
    ) -> None:
        """Store the voucher's new status and announce it on ``loyalty.ledger.v1``."""
        await self.rewards.update_voucher(voucher)
        await self._announce(voucher, reward_names, refunded=refunded)

    async def _announce(
        self, voucher: Voucher, reward_names: Mapping[str, str], *, refunded: bool
    ) -> None:
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
        await self.accounts.queue(self._topic, [event])
