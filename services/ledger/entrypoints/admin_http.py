"""Administration: manual adjustments (with actor and reason), the reconciliation proof, the
balances rebuilt from the entries, the points figures of the program report, and the audit
trail of the catalogue and adjustments."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, Field

from services.ledger.adapters.reconciliation import Reconciliation, rebuild_balances, reconcile
from services.ledger.domain.commands import AdjustPoints
from services.ledger.entrypoints.context import LedgerDep
from services.ledger.service_layer import audit_views, handlers, member_list, views
from services.ledger.service_layer.report_views import (
    funded_figures,
    points_figures,
    points_series,
)
from shared.audit import LEDGER_KINDS, OBJECT_ID, Change, older_than
from shared.auth import SCOPE_ADMIN, SCOPE_REPORTS
from shared.callers import Caller, MemberId, scoped
from shared.contracts.numbers import Whole
from shared.http import problem_responses
from shared.periods import BucketQuery, Days, period

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
# The program's figures: reports:read (an admin key has it too), for a dashboard or a BI tool.
reports = APIRouter(
    prefix="/v1/admin", tags=["reports"], dependencies=[Depends(scoped(SCOPE_REPORTS))]
)


class AdjustmentCreate(BaseModel):
    adjustment_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    points: Whole = Field(
        ge=-1_000_000_000,
        le=1_000_000_000,
        description="positive credits, negative debits; never 0",
        json_schema_extra={"not": {"const": 0}},
    )
    reason: str = Field(min_length=3, max_length=300)


class ReconciliationPublic(BaseModel):
    ok: bool
    books_balance: bool
    members_checked: int
    entries_checked: int
    program_accounts: dict[str, int]
    mismatches: list[str]


@router.post(
    "/members/{member_id}/adjustments",
    status_code=201,
    response_model=views.BalancePublic,
    responses={
        **problem_responses({409: "a debit larger than the points available"}),
        200: {"model": views.BalancePublic, "description": "the same adjustment again"},
    },
)
async def adjust(
    member_id: MemberId,
    body: Annotated[AdjustmentCreate, Body()],
    principal: Caller,
    ledger: LedgerDep,
    response: Response,
) -> views.BalancePublic:
    """Credit or debit a member by hand; the entry names the API key and the reason."""
    command = AdjustPoints(
        adjustment_id=f"adjust:{body.adjustment_id}",
        member_id=member_id,
        points=body.points,
        reason=body.reason,
        actor=principal.name,
    )
    op = await handlers.with_retries(
        lambda: handlers.adjust_points(command, uow=ledger.uow(), policy=ledger.policy)
    )
    if op is None:
        response.status_code = 200
    else:
        ledger.committed()
    async with ledger.sessions() as session:
        return await views.balance(session, member_id)


@router.get("/members", response_model=member_list.MemberList)
async def members(
    principal: Caller,
    ledger: LedgerDep,
    sort: member_list.Sort = "updated_at",
    order: Literal["asc", "desc"] = "desc",
    prefix: Annotated[
        str, Query(max_length=200, pattern=r"^[A-Za-z0-9_:@.-]*$", description="the id starts with")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> member_list.MemberList:
    """The members with points, sorted and a page at a time, with how many there are."""
    async with ledger.sessions() as session:
        return await member_list.member_list(
            session,
            sort=sort,
            descending=order == "desc",
            prefix=prefix,
            limit=limit,
            offset=offset,
        )


@router.get("/reconciliation", response_model=ReconciliationPublic)
async def reconciliation(principal: Caller, ledger: LedgerDep) -> ReconciliationPublic:
    """Balances equal the sums of entries, every account nets out, lots agree."""
    async with ledger.sessions() as session:
        report: Reconciliation = await reconcile(session)
    return ReconciliationPublic(
        ok=report.ok,
        books_balance=report.books_balance,
        members_checked=report.members_checked,
        entries_checked=report.entries_checked,
        program_accounts=report.accounts,
        mismatches=report.mismatches[:100],
    )


class RebuildPublic(BaseModel):
    members: int
    entries: int
    rebuilt: int


@router.post("/rebuild-balances", response_model=RebuildPublic)
async def rebuild(principal: Caller, ledger: LedgerDep) -> RebuildPublic:
    """Rewrite every balance that differs from the sums of its member's entries (the entries
    are the truth; balances are their running read model)."""
    async with ledger.sessions() as session, session.begin():
        members, entries_read, rebuilt = await rebuild_balances(session)
    return RebuildPublic(members=members, entries=entries_read, rebuilt=rebuilt)


@reports.get("/report")
async def report(principal: Caller, ledger: LedgerDep) -> dict[str, int | float]:
    """Outstanding points (the liability), lifetime earned, redeemed and expired, breakage."""
    async with ledger.sessions() as session:
        return await points_figures(session)


@reports.get("/report/series")
async def report_series(
    principal: Caller,
    ledger: LedgerDep,
    days: Days = 30,
    bucket: BucketQuery = "day",
) -> dict[str, Any]:
    """Points redeemed (net of refunds) and expired, per day or week, for charts."""
    start, end = period(days)
    async with ledger.sessions() as session:
        series = await points_series(session, start=start, end=end, bucket=bucket)
    return {"bucket": bucket, "series": series}


@reports.get("/report/funded")
async def report_funded(
    principal: Caller,
    ledger: LedgerDep,
    month: Annotated[
        str, Query(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    ],
) -> dict[str, Any]:
    """For partners' settlements, the month (UTC, by booking time): points booked per rule
    (earned less reversed), and points redeemed on the rewards each funder pays for."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    async with ledger.sessions() as session:
        return await funded_figures(session, start, end)


@router.get("/audit", response_model=list[Change])
async def audit_trail(
    principal: Caller,
    ledger: LedgerDep,
    before: Annotated[datetime | None, Depends(older_than)],
    kind: LEDGER_KINDS | None = None,
    object_id: Annotated[str | None, Query(pattern=OBJECT_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[Change]:
    """Changes to the rewards catalogue (who, when, before and after) and adjustments by hand
    (who, the member, the points and the reason), newest first."""
    async with ledger.sessions() as session:
        return await audit_views.trail(
            session, kind=kind, object_id=object_id, before=before, limit=limit
        )
