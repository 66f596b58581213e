"""Partners over HTTP: saved and versioned (admin); each one's monthly settlement as JSON or
CSV, for the program (reports) or for the partner's own key (``partner:<id>``), never
another partner's."""

import csv
import io
import logging
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query
from fastapi.responses import Response

from services.rules.adapters.challenge_specs import PartnerSpec
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer import partners as handlers
from services.rules.settings import RulesSettings
from shared.auth import SCOPE_ADMIN, SCOPE_REPORTS
from shared.callers import Caller, scoped

log = logging.getLogger(__name__)
admin = APIRouter(prefix="/v1", tags=["partners"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
either = APIRouter(prefix="/v1", tags=["partners"])
PartnerId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Month = Annotated[
    str, Query(pattern=r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, 1900-2199")
]


@admin.get("/partners")
async def list_partners(principal: Caller, rules: RulesDep) -> list[dict[str, Any]]:
    return [
        {"version": v, "spec": s.model_dump(mode="json")}
        for s, v in await handlers.partners(rules.sessions)
    ]


@admin.put("/partners/{partner_id}")
async def save_partner(
    partner_id: PartnerId, spec: Annotated[PartnerSpec, Body()], principal: Caller, rules: RulesDep
) -> dict[str, Any]:
    """Create the partner or save its next version. Its key is an API key with the scope
    ``partner:<id>`` (AUTH_API_KEYS); its rules, offers and challenges name it in
    ``funded_by``."""
    if spec.id != partner_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    version = await handlers.save_partner(rules.sessions, spec, by=principal.name)
    rules.book.invalidate()
    return {"version": version, "spec": spec.model_dump(mode="json")}


@either.get(
    "/partners/{partner_id}/settlement",
    responses={
        200: {
            "content": {"application/json": {}, "text/csv": {}},
            "description": "the settlement as JSON, or as CSV with format=csv",
        }
    },
)
async def settlement(
    partner_id: PartnerId,
    month: Month,
    principal: Caller,
    rules: RulesDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    """The partner's month: points its rules awarded and took back, the net at its point
    value (the amount to invoice), and the month's points by funder; with ``RULES_LEDGER_URL``
    set, what the ledger booked under its rules, and, when it pays for its own rewards, the
    points redeemed on them (in the amount). A partner's key reads its own only."""
    if not principal.may(SCOPE_REPORTS) and principal.partner != partner_id:
        raise HTTPException(403, "this key may read only its own partner's settlement")
    try:
        found = await handlers.settlement(
            rules.sessions, partner_id, month, rules.settings.point_value
        )
    except handlers.NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    found = handlers.with_ledger(found, *await _ledger_side(rules.settings, month))
    if format == "json":
        return found
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["partner", "month", "rule", "points_awarded", "points_taken_back"])
    for row in found["rules"]:
        writer.writerow([partner_id, month, row["rule_id"], row["awarded"], row["taken_back"]])
    writer.writerow(
        [partner_id, month, "total", found["points_awarded"], found["points_taken_back"]]
    )
    writer.writerow([])
    writer.writerow(["points_net", found["points_net"], "point_value", found["point_value"]])
    if "redemptions_amount" in found:
        redeemed = found["ledger"]["points_redeemed_on_its_rewards"]
        writer.writerow(["points_redeemed_on_its_rewards", redeemed])
    writer.writerow(["amount", found["amount"], rules.settings.currency])
    name = f"settlement-{partner_id}-{month}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _ledger_side(settings: RulesSettings, month: str) -> tuple[dict[str, Any] | None, str]:
    """The ledger's figures of the month, or None and why not."""
    if settings.ledger_url is None:
        return None, "RULES_LEDGER_URL is not set"
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(
                f"{settings.ledger_url.rstrip('/')}/v1/admin/report/funded",
                params={"month": month},
                headers={"X-API-Key": settings.ledger_api_key or ""},
            )
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("the ledger's funded figures are unavailable", extra={"error": repr(exc)})
        return None, f"the ledger did not answer: {exc.__class__.__name__}"
    found: dict[str, Any] = answer.json()
    return found, ""
