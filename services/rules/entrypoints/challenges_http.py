"""Challenges and the loyalty ladder over HTTP: saved and versioned (admin), counted and
charted (reports); a member's own challenges, badges and stage (their token)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query

from services.rules.adapters.cel_engine import ExpressionError
from services.rules.adapters.challenge_specs import ChallengeSpec, LadderSpec
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer import progress
from services.rules.settings import RulesSettings
from shared.auth import SCOPE_ADMIN, SCOPE_MEMBERS_READ, SCOPE_REPORTS
from shared.callers import Caller, MemberId, require_member_access, scoped

admin = APIRouter(prefix="/v1", tags=["challenges"], dependencies=[Depends(scoped(SCOPE_ADMIN))])
reports = APIRouter(prefix="/v1", tags=["ladder"], dependencies=[Depends(scoped(SCOPE_REPORTS))])
members = APIRouter(prefix="/v1", tags=["members"])
ChallengeId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
# A moment with its zone (2026-12-03T10:00:00Z, +01:00) or a day (2026-12-03).
MOMENT = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$"


def _moment(text: str, name: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(422, f"{name}: {text!r} is not a day or a moment") from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


@reports.get("/challenges")
async def list_challenges(principal: Caller, rules: RulesDep) -> list[dict[str, Any]]:
    """Every challenge at its newest version, with how many members joined it, are on their
    way, completed it, and the points completions gave."""
    return await progress.challenges_with_counts(rules.sessions, rules.settings.point_value)


@reports.get("/challenges/{challenge_id}")
async def challenge(
    challenge_id: ChallengeId, principal: Caller, rules: RulesDep
) -> dict[str, Any]:
    async with rules.sessions() as session:
        versions = await ProgramRepository(session).versions("challenge", challenge_id)
    if not versions:
        raise HTTPException(404, f"no challenge {challenge_id!r}")
    every = await progress.challenges_with_counts(rules.sessions, rules.settings.point_value)
    counted = {c["spec"]["id"]: c for c in every}.get(challenge_id, {})
    return {
        "id": challenge_id,
        "version": versions[-1]["version"],
        "spec": versions[-1]["spec"],
        "members": counted.get("members", {}),
        "cost": counted.get("cost", "0.00"),
        "versions": versions,
    }


@admin.put("/challenges/{challenge_id}")
async def save_challenge(
    challenge_id: ChallengeId,
    spec: Annotated[ChallengeSpec, Body()],
    principal: Caller,
    rules: RulesDep,
) -> dict[str, Any]:
    """Create the challenge or save its next version (unchanged: the same version); members'
    progress is kept across versions."""
    if spec.id != challenge_id:
        raise HTTPException(422, f"the body's id {spec.id!r} differs from the path's")
    if spec.reward_id is not None and not await _in_catalogue(rules.settings, spec.reward_id):
        raise HTTPException(422, f"reward_id: no reward {spec.reward_id!r} in the catalogue")
    try:
        version = await progress.save_challenge(rules.sessions, spec, by=principal.name)
    except (ExpressionError, progress.NotFound) as exc:
        raise HTTPException(422, str(exc)) from exc
    rules.book.invalidate()
    return {"version": version, "spec": spec.model_dump(mode="json")}


@reports.get("/ladder")
async def ladder(principal: Caller, rules: RulesDep) -> dict[str, Any]:
    """The ladder's stages in order (the first whose condition holds is a member's stage),
    and how many members stand on each now."""
    spec, version = await progress.ladder(rules.sessions)
    counts = await progress.stage_counts(rules.sessions, datetime.now(UTC))
    return {
        "version": version,
        "stages": [
            s.model_dump(mode="json") | {"members": counts.get(s.id, 0)} for s in spec.stages
        ],
    }


@admin.put("/ladder")
async def save_ladder(
    spec: Annotated[LadderSpec, Body()], principal: Caller, rules: RulesDep
) -> dict[str, Any]:
    """Make these stages the ladder (members move at their next event or the daily pass)."""
    try:
        version = await progress.save_ladder(rules.sessions, spec, by=principal.name)
    except ExpressionError as exc:
        raise HTTPException(422, str(exc)) from exc
    rules.book.invalidate()
    return {"version": version}


@reports.get("/ladder/movement")
async def movement(
    principal: Caller,
    rules: RulesDep,
    start_at: Annotated[str | None, Query(alias="from", pattern=MOMENT)] = None,
    end_at: Annotated[str | None, Query(alias="to", pattern=MOMENT)] = None,
) -> dict[str, Any]:
    """Members per stage at ``from`` and ``to`` (moments with a zone, or days: their start,
    UTC; default: 30 days ago and now) and how many moved from each stage to each other
    between them."""
    end = _moment(end_at, "to") if end_at else datetime.now(UTC)
    try:
        start = _moment(start_at, "from") if start_at else end - timedelta(days=30)
    except OverflowError:
        raise HTTPException(422, "to: too early to look 30 days back from; give from") from None
    if start > end:
        raise HTTPException(422, "from must not be after to")
    return await progress.movement(rules.sessions, start, end)


@members.get("/members/{member_id}/stage")
async def member_stage(member_id: MemberId, principal: Caller, rules: RulesDep) -> dict[str, Any]:
    """The member's ladder stage, since when and why; and their moves (members:read)."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    return await progress.member_stage(rules.sessions, rules.book, member_id)


@members.get("/members/{member_id}/challenges")
async def my_challenges(member_id: MemberId, principal: Caller, rules: RulesDep) -> dict[str, Any]:
    """The member's challenges with progress ("2 of 3") and badges, in their language (the
    member's own token, or members:read)."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    return await progress.member_challenges(
        rules.sessions, rules.book, member_id, now=datetime.now(UTC)
    )


async def _in_catalogue(settings: RulesSettings, reward_id: str) -> bool:
    """Whether the ledger's catalogue has the reward (asked when ``RULES_LEDGER_URL`` is set:
    a prize the ledger cannot give is refused here, not lost later; unset, it is taken)."""
    if settings.ledger_url is None:
        return True
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(
                f"{settings.ledger_url.rstrip('/')}/v1/admin/rewards",
                headers={"X-API-Key": settings.ledger_api_key or ""},
            )
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        raise HTTPException(503, "the ledger's catalogue cannot be read now; retry") from exc
    return any(r.get("id") == reward_id for r in answer.json())
