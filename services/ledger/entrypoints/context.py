"""What the ledger's HTTP routes need, wired once in bootstrap and reached through the app."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from services.ledger.domain import errors
from services.ledger.domain.model import Policy
from services.ledger.service_layer.rewards_unit_of_work import RewardsUnitOfWork
from services.ledger.settings import LedgerSettings
from shared.app import ServiceContext, context_of
from shared.http import problem


@dataclass(frozen=True)
class LedgerContext(ServiceContext):
    settings: LedgerSettings
    policy: Policy
    # One unit of work for points, redemptions, rewards and vouchers (the rewards' repository
    # beside the ledger's).
    uow: Callable[[], RewardsUnitOfWork]
    committed: Callable[[], None]  # wakes the outbox relay
    read_balance: Callable[[str], Awaitable[dict[str, Any]]]  # route and fast path


LedgerDep = Annotated[LedgerContext, Depends(context_of(LedgerContext))]

_STATUS: dict[type[Exception], tuple[int, str]] = {
    errors.InsufficientPoints: (409, "Insufficient points"),
    errors.RedemptionStateConflict: (409, "Conflict"),
    errors.IdempotencyConflict: (409, "Idempotency key reused"),
    errors.UnknownMember: (404, "Unknown member"),
    errors.UnknownRedemption: (404, "Unknown redemption"),
    errors.InvalidPoints: (422, "Invalid points"),
    errors.UnknownReward: (404, "Unknown reward"),
    errors.RewardUnavailable: (409, "Reward not available"),
    errors.UnknownVoucher: (404, "Unknown voucher"),
    errors.VoucherNotUsable: (409, "Voucher not usable"),
}


def install_ledger_errors(app: FastAPI) -> None:
    async def refused(_: Request, exc: Exception) -> Response:
        status, title = _STATUS.get(type(exc), (400, "Refused"))
        return problem(status, title, str(exc))

    app.add_exception_handler(errors.LedgerError, refused)
