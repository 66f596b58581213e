"""The program beyond its rules: the tiers (rules service) and the rewards catalogue (ledger),
each edited as YAML and saved through the owning service's admin API, which validates it."""

import asyncio
from typing import Annotated, Any
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, path_segment
from services.console.adapters.sessions import Session
from services.console.entrypoints.context import ConsoleDep, manager, page, refused

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
        tiers=_yaml(tiers.body) if tiers and tiers.ok else None,
        rewards=rewards.body if rewards and rewards.ok else None,
        down=down,
        notice=notice[:300],
    )


@router.post("/tiers", response_class=HTMLResponse)
async def save_tiers(
    request: Request,
    console: ConsoleDep,
    tiers: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return await _save(request, console, csrf, "rules", "/v1/tiers", tiers, "Tiers saved.")


@router.get("/rewards/{reward_id}", response_class=HTMLResponse)
async def reward(request: Request, console: ConsoleDep, reward_id: str) -> Response:
    session = manager(console, request)
    answer = await console.backends.call(
        "ledger", "GET", "/v1/admin/rewards", key=session.key, scope=ADMIN
    )
    found = next((r for r in answer.body if r["id"] == reward_id), None) if answer.ok else None
    spec = _yaml(found) if found else _yaml({"id": reward_id, "kind": "discount_voucher"})
    return page(console, request, "reward.html", session=session, reward_id=reward_id, spec=spec)


@router.post("/rewards/{reward_id}", response_class=HTMLResponse)
async def save_reward(
    request: Request,
    console: ConsoleDep,
    reward_id: str,
    spec: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    return await _save(
        request,
        console,
        csrf,
        "ledger",
        f"/v1/admin/rewards/{path_segment(reward_id)}",
        spec,
        f"Reward {reward_id} saved.",
    )


async def _save(
    request: Request,
    console: ConsoleDep,
    csrf: str,
    service: str,
    path: str,
    text: str,
    done: str,
) -> Response:
    """Send the YAML as JSON to the owning service; its refusal comes back in its words."""
    session = manager(console, request, csrf)
    try:
        body = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return _refused(console, request, session, f"Not valid YAML: {exc}")
    answer = await console.backends.call(
        service, "PUT", path, key=session.key, scope=ADMIN, json=body
    )
    if not answer.ok:
        return _refused(console, request, session, answer.problem)
    return RedirectResponse(f"/program?notice={quote(done)}", status_code=303)


def _refused(console: ConsoleDep, request: Request, session: Session, problem: str) -> Response:
    return refused(
        console, request, session, problem, back="/program", back_label="Back to tiers and rewards"
    )


def _yaml(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
