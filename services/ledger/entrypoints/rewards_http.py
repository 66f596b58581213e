"""The rewards catalogue for members, vouchers for tills, and the catalogue's administration."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query
from pydantic import BaseModel, Field

from services.ledger.adapters.reward_specs import RewardSpec
from services.ledger.domain.rewards import at_member_price
from services.ledger.entrypoints.context import LedgerDep
from services.ledger.service_layer import handlers, views
from services.ledger.service_layer import reward_views as reads
from services.ledger.service_layer import rewards as rewards
from shared.auth import SCOPE_ADMIN, SCOPE_INGEST, SCOPE_MEMBERS_READ, SCOPE_REDEEM
from shared.callers import (
    Caller,
    MemberId,
    require_member_access,
    scoped,
    scoped_unless_member,
    system_scoped,
)
from shared.contracts.numbers import DecimalText, non_negative_pattern
from shared.faults import fault_point

router = APIRouter(prefix="/v1", tags=["rewards"])
Code = Annotated[str, Path(min_length=4, max_length=20, pattern=r"^[A-Z0-9-]+$")]
Language = Annotated[str, Query(pattern=r"^(en|da|sv)$")]
UseKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the till's id for this use; a retry with the same key is the same use",
    ),
]


class RewardOffer(BaseModel):
    reward_id: str
    kind: str
    name: str
    description: str
    cost_points: int
    stock_left: int | None
    details: dict[str, str]
    eligible: bool
    reasons: list[str] = Field(description="why not, when not eligible")
    regular_cost_points: int | None = Field(
        default=None, description="the catalogue's price, when an offer made it cheaper"
    )
    offer_id: str | None = Field(default=None, description="the offer that made it cheaper")


class VoucherUse(BaseModel):
    where: str = Field(min_length=1, max_length=200, description="store or web shop")
    basket_total: (
        DecimalText(  # type: ignore[valid-type]
            non_negative_pattern(10, 2),
            places=2,
            ge=Decimal(0),
            description="the basket it is used on, for vouchers with a minimum basket",
        )
        | None
    ) = None


@router.get("/members/{member_id}/rewards", response_model=list[RewardOffer])
async def member_rewards(
    member_id: MemberId,
    principal: Caller,
    ledger: LedgerDep,
    lang: Language = "en",
) -> list[RewardOffer]:
    """The catalogue as this member sees it: the price (an offer's, where one made it cheaper
    for them), and whether they can have it (why not: tier, stock, not enough points, limit
    reached)."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    now = datetime.now(UTC)
    async with ledger.sessions() as session:
        balance = await views.balance(session, member_id)
        tier = await reads.member_tier(session, member_id) or ledger.settings.tiers()[0]
        counts = await reads.redeemed_counts(session, member_id)
        catalogue = [r for r in await reads.catalogue(session) if r.enabled]
        prices = await reads.member_prices(session, member_id, now)
    offers = []
    for listed in catalogue:
        reward = at_member_price(listed, prices)
        cheaper = reward.cost_points < listed.cost_points
        reasons = rewards.why_not(
            reward,
            now=now,
            available=balance.available,
            tier=tier,
            tier_order=ledger.settings.tiers(),
            redeemed_by_member=counts.get(reward.reward_id, 0),
            language=lang,
        )
        offers.append(
            RewardOffer(
                reward_id=reward.reward_id,
                kind=reward.kind.value,
                name=reward.name(lang),
                description=reward.descriptions.get(lang) or reward.descriptions.get("en", ""),
                cost_points=reward.cost_points,
                stock_left=reward.stock_left,
                details=reward.details,
                eligible=not reasons,
                reasons=reasons,
                regular_cost_points=listed.cost_points if cheaper else None,
                offer_id=prices[listed.reward_id][1] if cheaper else None,
            )
        )
    return offers


@router.get("/members/{member_id}/vouchers", response_model=list[views.VoucherPublic])
async def member_vouchers(
    member_id: MemberId, principal: Caller, ledger: LedgerDep
) -> list[views.VoucherPublic]:
    """The member's vouchers, with their codes and status."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    async with ledger.sessions() as session:
        return [views.voucher_public(v) for v in await reads.vouchers_of(session, member_id)]


@router.post(
    "/vouchers/{code}/use",
    response_model=views.VoucherPublic,
    dependencies=[Depends(system_scoped(SCOPE_INGEST))],
)
async def use(
    code: Code,
    body: Annotated[VoucherUse, Body()],
    principal: Caller,
    ledger: LedgerDep,
    idempotency_key: UseKey = None,
) -> views.VoucherPublic:
    """A till or web shop accepts the voucher: once. A second use is a 409 saying when and
    where it was used, unless it is the same use retried with its ``Idempotency-Key``."""
    voucher = await handlers.with_retries(
        lambda: rewards.use_voucher(
            code,
            where=body.where,
            uow=ledger.uow(),
            basket_total=body.basket_total,
            key=idempotency_key,
        )
    )
    fault_point("after-redemption-commit")  # the till never hears: it retries with its key
    ledger.committed()
    return views.voucher_public(voucher)


@router.post(
    "/vouchers/{code}/cancel",
    response_model=views.VoucherPublic,
    dependencies=[Depends(scoped_unless_member(SCOPE_REDEEM))],
)
async def cancel(code: Code, principal: Caller, ledger: LedgerDep) -> views.VoucherPublic:
    """Cancel an unused voucher: its points come back (a new entry) and so does the stock.
    A member may cancel their own."""
    voucher = await handlers.with_retries(
        lambda: rewards.cancel_voucher(
            code, member_id=principal.member_id, uow=ledger.uow(), policy=ledger.policy
        )
    )
    fault_point("after-redemption-commit")
    ledger.committed()
    return views.voucher_public(voucher)


@router.get(
    "/admin/rewards", response_model=list[RewardSpec], dependencies=[Depends(scoped(SCOPE_ADMIN))]
)
async def list_catalogue(principal: Caller, ledger: LedgerDep) -> list[RewardSpec]:
    """The whole catalogue, as an admin edits it (also what is hidden from members)."""
    async with ledger.sessions() as session:
        return [_spec(r) for r in await reads.catalogue(session)]


@router.put(
    "/admin/rewards/{reward_id}",
    response_model=RewardSpec,
    dependencies=[Depends(scoped(SCOPE_ADMIN))],
)
async def save_reward(
    reward_id: Annotated[str, Path(max_length=100)],
    spec: Annotated[RewardSpec, Body()],
    principal: Caller,
    ledger: LedgerDep,
) -> RewardSpec:
    """Create or change a reward; changing ``stock`` moves what is left by the difference."""
    if spec.id != reward_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    await rewards.save_reward(spec, uow=ledger.uow(), by=principal.name)
    return spec


def _spec(reward: rewards.Reward) -> RewardSpec:
    return RewardSpec(
        id=reward.reward_id,
        kind=reward.kind,
        cost_points=reward.cost_points,
        names=reward.names,
        descriptions=reward.descriptions,
        valid_from=reward.valid_from,
        valid_until=reward.valid_until,
        stock=reward.stock_total,
        per_member_limit=reward.per_member_limit,
        min_tier=reward.min_tier,
        voucher_valid_days=reward.voucher_valid_days,
        refund_on_expiry=reward.refund_on_expiry,
        details=reward.details,
        funded_by=reward.funded_by,
        enabled=reward.enabled,
    )
