"""The program beyond its rules: the tiers (rules service) and the rewards catalogue (ledger),
each a form saved through the owning service's admin API, which validates it."""

import asyncio
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, path_segment
from services.console.entrypoints.context import ConsoleDep, manager, page
from services.console.entrypoints.program_forms import (
    BLANK_TIERS,
    DETAILS,
    KINDS,
    reward_form,
    reward_from_form,
    tiers_from_form,
)

router = APIRouter(prefix="/program")


@router.get("", response_class=HTMLResponse)
async def program(request: Request, console: ConsoleDep, notice: str = "") -> Response:
    session = manager(console, request)
    down: list[str] = []
    tiers, rewards = await asyncio.gather(
        console.backends.read("rules", "/v1/tiers", down=down, key=session.key, scope=ADMIN),
        console.backends.read(
            "ledger", "/v1/admin/rewards", down=down, key=session.key, scope=ADMIN
        ),
    )
    return page(
        console,
        request,
        "program.html",
        session=session,
        tiers=tiers.body if tiers and tiers.ok else None,
        blank=BLANK_TIERS,
        rewards=rewards.body if rewards and rewards.ok else None,
        down=down,
        notice=notice[:300],
    )


@router.post("/tiers", response_class=HTMLResponse)
async def save_tiers(request: Request, console: ConsoleDep) -> Response:
    """The tiers as the rows say; a refusal shows them again as typed, with the reason."""
    form = await request.form()
    session = manager(console, request, str(form.get("csrf", "")))
    tiers = tiers_from_form(form)
    answer = await console.backends.call(
        "rules", "PUT", "/v1/tiers", key=session.key, scope=ADMIN, json=tiers
    )
    if answer.ok:
        return RedirectResponse(f"/program?notice={quote('Tiers saved.')}", status_code=303)
    rewards = await console.backends.read(
        "ledger", "/v1/admin/rewards", down=[], key=session.key, scope=ADMIN
    )
    return page(
        console,
        request,
        "program.html",
        session=session,
        tiers=tiers,
        blank=BLANK_TIERS,
        rewards=rewards.body if rewards and rewards.ok else None,
        tiers_error=answer.problem,
        status=422,
    )


@router.get("/rewards/{reward_id}", response_class=HTMLResponse)
async def reward(request: Request, console: ConsoleDep, reward_id: str) -> Response:
    session = manager(console, request)
    answer, tiers = await asyncio.gather(
        console.backends.call("ledger", "GET", "/v1/admin/rewards", key=session.key, scope=ADMIN),
        console.backends.call("rules", "GET", "/v1/tiers", key=session.key, scope=ADMIN),
    )
    found = next((r for r in answer.body if r["id"] == reward_id), None) if answer.ok else None
    return page(
        console,
        request,
        "reward.html",
        session=session,
        new=found is None,
        form=reward_form(found or {"id": "" if reward_id == "new" else reward_id}),
        kinds=KINDS,
        details=DETAILS,
        tiers=[t["name"] for t in tiers.body] if tiers.ok else [],
    )


@router.post("/rewards", response_class=HTMLResponse)
async def save_reward(request: Request, console: ConsoleDep) -> Response:
    form = await request.form()
    session = manager(console, request, str(form.get("csrf", "")))
    spec = reward_from_form(form)
    reward_id = str(spec["id"])
    problem = "Give the reward an id (e.g. free-coffee)."
    if reward_id:
        answer = await console.backends.call(
            "ledger",
            "PUT",
            f"/v1/admin/rewards/{path_segment(reward_id)}",
            key=session.key,
            scope=ADMIN,
            json=spec,
        )
        if answer.ok:
            done = f"Reward {spec['names'].get('en') or reward_id} saved."
            return RedirectResponse(f"/program?notice={quote(done)}", status_code=303)
        problem = answer.problem
    tiers = await console.backends.call("rules", "GET", "/v1/tiers", key=session.key, scope=ADMIN)
    return page(
        console,
        request,
        "reward.html",
        session=session,
        new=form.get("new") == "yes",
        form=reward_form(spec),
        kinds=KINDS,
        details=DETAILS,
        tiers=[t["name"] for t in tiers.body] if tiers.ok else [],
        error=problem,
        status=422,
    )
