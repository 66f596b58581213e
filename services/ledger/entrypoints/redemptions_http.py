"""Spending points: at once, or held (two-phase) and then captured or released."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.ledger.domain.commands import RedeemPoints, RedeemReward, SettleRedemption
from services.ledger.entrypoints.context import LedgerDep
from services.ledger.service_layer import handlers, views
from services.ledger.service_layer import rewards as rewards
from shared.auth import SCOPE_REDEEM
from shared.callers import (
    Caller,
    MemberId,
    member_scoped,
    require_member_access,
    system_scoped,
)
from shared.contracts.envelope import derived_id
from shared.contracts.numbers import INTEGER
from shared.faults import fault_point

router = APIRouter(prefix="/v1/members/{member_id}/redemptions", tags=["redemptions"])
IdempotencyKey = Annotated[
    str,
    Header(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the client's id for this redemption; a retry with the same key is a no-op",
    ),
]
RedemptionId = Annotated[str, Path(min_length=1, max_length=100)]


class RedemptionCreate(BaseModel):
    """Either a ``reward_id`` from the catalogue (a voucher is issued), or ``points`` and a
    ``description`` (optionally held for ``hold_seconds``)."""

    # The two shapes, as the validator below has them.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["reward_id"],
                    "properties": {
                        "reward_id": {"type": "string"},
                        "points": {"type": "null"},
                        "hold_seconds": {"type": "null"},
                    },
                },
                {
                    "required": ["points", "description"],
                    "properties": {
                        "reward_id": {"type": "null"},
                        "points": {"type": "integer"},
                        "description": {"type": "string"},
                    },
                },
            ]
        }
    )

    reward_id: str | None = Field(default=None, min_length=1, max_length=100)
    points: Annotated[int, Field(gt=0, le=1_000_000_000), INTEGER] | None = Field(default=None)
    description: str | None = Field(default=None, min_length=1, max_length=200)
    hold_seconds: Annotated[int, Field(ge=1), INTEGER] | None = Field(
        default=None, description="hold the points this long, to capture or release later"
    )

    @model_validator(mode="after")
    def _reward_or_points(self) -> "RedemptionCreate":
        if self.reward_id is None and (self.points is None or self.description is None):
            raise ValueError("send a reward_id, or points and a description")
        if self.reward_id is not None and (self.points is not None or self.hold_seconds):
            raise ValueError("a reward costs what the catalogue says: send reward_id alone")
        return self


@router.post(
    "",
    status_code=201,
    response_model=views.RedemptionPublic,
    dependencies=[Depends(member_scoped(SCOPE_REDEEM))],
)
async def redeem(
    member_id: MemberId,
    body: RedemptionCreate,
    principal: Caller,
    ledger: LedgerDep,
    response: Response,
    idempotency_key: IdempotencyKey,
) -> views.RedemptionPublic:
    """Spend (or hold) points; never below zero. 409 when the points are not there."""
    redemption_id = derived_id(member_id, "redemption", idempotency_key)
    if body.reward_id is not None:
        return await _redeem_reward(member_id, redemption_id, body.reward_id, ledger, response)
    assert body.points is not None
    assert body.description is not None
    if body.hold_seconds is not None and body.hold_seconds > ledger.settings.max_hold_seconds:
        raise HTTPException(422, f"hold_seconds is at most {ledger.settings.max_hold_seconds}")
    command = RedeemPoints(
        redemption_id=redemption_id,
        member_id=member_id,
        points=body.points,
        description=body.description,
        hold_seconds=body.hold_seconds,
    )
    outcome = await handlers.with_retries(lambda: handlers.redeem_points(command, uow=ledger.uow()))
    fault_point("after-redemption-commit")  # the till never hears: it retries with its key
    if outcome.replayed:
        response.status_code = 200
    else:
        ledger.committed()
    return views.redemption_public(outcome.redemption, outcome.balance)


@router.get("/{redemption_id}", response_model=views.RedemptionPublic)
async def get_redemption(
    member_id: MemberId, redemption_id: RedemptionId, principal: Caller, ledger: LedgerDep
) -> views.RedemptionPublic:
    """One redemption: its status (held, captured, released, spent) and points."""
    require_member_access(principal, member_id, SCOPE_REDEEM)
    async with ledger.sessions() as session:
        found = await views.redemption(session, member_id, redemption_id)
    if found is None:
        raise HTTPException(404, f"no redemption {redemption_id!r} for this member")
    return found


async def _settle(
    member_id: str, redemption_id: str, principal: Caller, ledger: LedgerDep, *, capture: bool
) -> views.RedemptionPublic:
    # (a till's hold: system_scoped on the routes; the member cannot lift it)
    command = SettleRedemption(redemption_id=redemption_id, member_id=member_id, capture=capture)
    outcome = await handlers.with_retries(
        lambda: handlers.settle_redemption(command, uow=ledger.uow())
    )
    fault_point("after-redemption-commit")
    if not outcome.replayed:
        ledger.committed()
    return views.redemption_public(outcome.redemption, outcome.balance)


@router.post(
    "/{redemption_id}/capture",
    response_model=views.RedemptionPublic,
    dependencies=[Depends(system_scoped(SCOPE_REDEEM))],
)
async def capture(
    member_id: MemberId, redemption_id: RedemptionId, principal: Caller, ledger: LedgerDep
) -> views.RedemptionPublic:
    """Spend held points for good (e.g. when the reward ships). Repeating is a no-op."""
    return await _settle(member_id, redemption_id, principal, ledger, capture=True)


@router.post(
    "/{redemption_id}/release",
    response_model=views.RedemptionPublic,
    dependencies=[Depends(system_scoped(SCOPE_REDEEM))],
)
async def release(
    member_id: MemberId, redemption_id: RedemptionId, principal: Caller, ledger: LedgerDep
) -> views.RedemptionPublic:
    """Give held points back to the member. Repeating is a no-op."""
    return await _settle(member_id, redemption_id, principal, ledger, capture=False)


async def _redeem_reward(
    member_id: str, redemption_id: str, reward_id: str, ledger: LedgerDep, response: Response
) -> views.RedemptionPublic:
    command = RedeemReward(redemption_id=redemption_id, member_id=member_id, reward_id=reward_id)
    outcome = await handlers.with_retries(
        lambda: rewards.redeem_reward(command, uow=ledger.uow(), tier_order=ledger.settings.tiers())
    )
    fault_point("after-redemption-commit")
    if outcome.replayed:
        response.status_code = 200
    else:
        ledger.committed()
    public = views.redemption_public(outcome.redemption, outcome.balance)
    public.voucher = views.voucher_public(outcome.voucher)
    return public
