"""Balances and history for apps (member token) and systems (API key with members:read)."""

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import select

from services.ledger.adapters.orm import (
    balances,
    entries,
    erased_members,
    lots,
    member_prices,
    member_tiers,
    operations,
    redemptions,
    vouchers,
)
from services.ledger.entrypoints.context import LedgerDep
from services.ledger.service_layer import views
from shared.auth import SCOPE_ADMIN, SCOPE_MEMBERS_READ
from shared.callers import Caller, MemberId, require_member_access, require_scope
from shared.erasure.model import ErasureStatus
from shared.erasure.table import erasure_status
from shared.export import member_export

router = APIRouter(prefix="/v1/members/{member_id}", tags=["members"])


@router.get("/balance", response_model=views.BalancePublic)
async def get_balance(member_id: MemberId, principal: Caller, ledger: LedgerDep) -> Response:
    """The member's points: available, pending (in a return window), held, and lifetime totals."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    # The hottest route: answered as it is read, without a second validation of the model.
    body = json.dumps(await ledger.read_balance(member_id), separators=(",", ":"))
    return Response(body, media_type="application/json")


@router.get("/points-ahead", response_model=views.PointsAhead)
async def points_ahead(
    member_id: MemberId, principal: Caller, ledger: LedgerDep
) -> views.PointsAhead:
    """The next points to expire and when, and the points on the way and when they become
    available (a wallet shows them)."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    async with ledger.sessions() as session:
        found = await views.points_ahead(session, member_id)
        if found.expiring is None and not found.maturing:
            await views.balance(session, member_id)  # an erased member: 410
        return found


@router.get("/entries", response_model=views.EntryPage)
async def list_entries(
    member_id: MemberId,
    principal: Caller,
    ledger: LedgerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
    lang: Annotated[str | None, Query(pattern=r"^[a-z]{2}$")] = None,
) -> views.EntryPage:
    """The member's entries, newest first; pass ``next_cursor`` back for the next page. With
    ``lang`` (en, da, sv), the ledger's own explanations (a reward, a refund) in it; the
    rules' are written in the member's language already."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    async with ledger.sessions() as session:
        return await views.entry_page(session, member_id, limit=limit, cursor=cursor, language=lang)


@router.get("/export")
async def export_member(member_id: MemberId, principal: Caller, ledger: LedgerDep) -> Response:
    """Everything the ledger holds about the member, as one JSON document streamed as it is
    read (right of access and portability): balance, tier, every entry, operation, lot,
    redemption and voucher, and the rewards offers made cheaper for them. An admin key, or the
    member's own token."""
    require_member_access(principal, member_id, SCOPE_ADMIN)
    key = select(balances.c.account_key).where(balances.c.member_id == member_id)
    return member_export(
        ledger.sessions,
        "ledger",
        member_id,
        (
            ("balance", balances, ()),
            ("tier", member_tiers, ()),
            ("entries", entries, (entries.c.id,)),
            ("operations", operations, (operations.c.recorded_at,)),
            ("lots", lots, (lots.c.created_at,)),
            ("redemptions", redemptions, (redemptions.c.created_at,)),
            ("vouchers", vouchers, (vouchers.c.issued_at,)),
            ("prices", member_prices, (member_prices.c.granted_at,)),  # offers' cheaper rewards
        ),
        where={  # the books know the member by their account key
            "entries": entries.c.account_key == key.scalar_subquery(),
            "operations": operations.c.account_key == key.scalar_subquery(),
        },
    )


@router.get("/erasure", response_model=ErasureStatus)
async def erasure_done(member_id: MemberId, principal: Caller, ledger: LedgerDep) -> ErasureStatus:
    """Whether the ledger has forgotten whose account it was, and when (admin key)."""
    require_scope(principal, SCOPE_ADMIN)
    return await erasure_status(ledger.sessions, erased_members, "ledger", member_id)
