"""The audit trail: every change to the program, from the rules service (rules, tiers, offers,
audiences, challenges, partners, the ladder, exchange rates) and the ledger (rewards,
adjustments), newest first, filtered by kind or by what changed."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.adapters.backends import ADMIN
from services.console.entrypoints.context import ConsoleDep, manager, page
from services.console.entrypoints.rule_texts import as_yaml, changes

router = APIRouter()
LEDGER_KINDS = ("reward", "adjustment")
KINDS = (
    "rule",
    "tiers",
    "offer",
    "audience",
    "challenge",
    "partner",
    "ladder",
    "exchange rates",
    *LEDGER_KINDS,
)
_LINKS = {
    "rule": "/rules/{}",
    "offer": "/offers/{}",
    "audience": "/audiences/{}",
    "challenge": "/challenges/{}",
    "partner": "/partners/{}",
    "reward": "/program/rewards/{}",
    "adjustment": "/members/{}",
    "tiers": "/program",
    "ladder": "/ladder",
    "exchange rates": "/rates",
}


@router.get("/audit", response_class=HTMLResponse)
async def audit(
    request: Request,
    console: ConsoleDep,
    kind: str = "",
    object_id: str = "",
    before: str = "",
) -> Response:
    session = manager(console, request)
    params: dict[str, Any] = {"limit": 50}
    for name, value in (("kind", kind), ("object_id", object_id), ("before", before)):
        if value.strip():
            params[name] = value.strip()[:200]
    down: list[str] = []
    asked = []
    if kind not in LEDGER_KINDS:
        asked.append(("rules", "/v1/audit"))
    if not kind or kind in LEDGER_KINDS:
        asked.append(("ledger", "/v1/admin/audit"))
    answers = await asyncio.gather(
        *(
            console.backends.read(s, path, down=down, key=session.key, scope=ADMIN, params=params)
            for s, path in asked
        )
    )
    found: list[dict[str, Any]] = []
    problems = []
    for answer in answers:
        if answer is not None and answer.ok:
            found += answer.body
        elif answer is not None:
            problems.append(answer.problem)
    found.sort(key=lambda c: c["at"], reverse=True)
    shown = found[:50]
    for change in shown:
        change["diff"] = _diff(change)
        pattern = _LINKS.get(change["kind"])
        change["link"] = pattern.format(change["object_id"]) if pattern else None
    return page(
        console,
        request,
        "audit.html",
        session=session,
        changes=shown,
        kinds=KINDS,
        kind=kind,
        object_id=object_id,
        older=shown[-1]["at"] if len(found) >= 50 else None,
        problems=problems,
        down=down,
    )


def _diff(change: dict[str, Any]) -> str:
    """What changed, line by line; or the whole document when there was none before."""
    before, after = change.get("before"), change.get("after")
    if change["kind"] == "adjustment" or after is None:
        return ""
    if before is None:
        return as_yaml(after)
    if isinstance(before, dict) and isinstance(after, dict):
        return changes(before, after, "before", "after")
    return changes({"value": before}, {"value": after}, "before", "after")
