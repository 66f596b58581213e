"""Rules as forms: a new rule from a template (by loyalty driver), a rule (or its draft) in the
form, saving the form as the rule's draft. Nothing here is in force until it is published
(:mod:`rule_draft_pages`)."""

import asyncio
import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters.backends import ADMIN, path_segment
from services.console.adapters.sessions import Session
from services.console.entrypoints.context import ConsoleDep, manager, page
from services.console.entrypoints.rule_form import (
    CONDITIONS,
    EFFECTS,
    EVENTS,
    form_from_spec,
    spec_from_form,
)
from services.console.entrypoints.rule_templates import DRIVERS, TEMPLATES

router = APIRouter(prefix="/rules")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")


@router.get("/new", response_class=HTMLResponse)
async def templates(request: Request, console: ConsoleDep) -> Response:
    session = manager(console, request)
    return page(
        console,
        request,
        "rule_templates.html",
        session=session,
        drivers=DRIVERS,
        templates=TEMPLATES,
    )


@router.get("/new/{template}", response_class=HTMLResponse)
async def from_template(request: Request, console: ConsoleDep, template: str) -> Response:
    session = manager(console, request)
    chosen = TEMPLATES.get(template)
    if chosen is None:
        return RedirectResponse("/rules/new", status_code=303)
    taken = {r["spec"]["id"] for r in await _rules(console, session)}
    rule_id = next(
        candidate
        for n in range(1, 1000)
        if (candidate := template if n == 1 else f"{template}-{n}") not in taken
    )
    spec = {**chosen["spec"], "id": rule_id}
    return await _form(console, request, session, form_from_spec(spec), new=True, why=chosen["why"])


@router.get("/{rule_id}/edit", response_class=HTMLResponse)
async def edit(request: Request, console: ConsoleDep, rule_id: str) -> Response:
    """The rule in the form: its draft if there is one, else the version in force."""
    session = manager(console, request)
    at = f"/v1/rules/{path_segment(rule_id)}"
    draft, versions = await asyncio.gather(
        console.backends.call("rules", "GET", f"{at}/draft", key=session.key, scope=ADMIN),
        console.backends.call("rules", "GET", f"{at}/versions", key=session.key, scope=ADMIN),
    )
    if draft.ok:
        spec = draft.body["spec"]
    elif versions.ok:
        spec = versions.body[-1]["spec"]
    else:
        return page(
            console, request, "down.html", session=session, problem=versions.problem, status=404
        )
    return await _form(console, request, session, form_from_spec(spec), new=False)


@router.post("/drafts", response_class=HTMLResponse)
async def save_draft(request: Request, console: ConsoleDep) -> Response:
    """The form as the rule's draft; a refusal shows the form again with the reason."""
    form = await request.form()
    session = manager(console, request, str(form.get("csrf", "")))
    rule_id = str(form.get("rule_id") or "").strip()
    new = form.get("new") == "yes"
    try:
        spec = spec_from_form(form, rule_id)
    except ValueError as exc:
        return await _form(
            console, request, session, _kept(form), new=new, error=str(exc), status=422
        )
    error = None
    if not _ID.match(rule_id):
        error = "The rule's id: lower-case letters, digits, '.', '_' or '-' (e.g. organic-double)."
    elif new and rule_id in {r["spec"]["id"] for r in await _rules(console, session)}:
        error = f"A rule {rule_id!r} exists already: choose another id, or open that rule."
    if error is None:
        answer = await console.backends.call(
            "rules",
            "PUT",
            f"/v1/rules/{path_segment(rule_id)}/draft",
            key=session.key,
            scope=ADMIN,
            json=spec,
        )
        if answer.ok:
            done = "Draft saved. Check it, then publish it now or from a time."
            return RedirectResponse(
                f"/rules/{path_segment(rule_id)}/draft?notice={quote(done)}", status_code=303
            )
        error = answer.problem
    shown = {**form_from_spec(spec), "id": rule_id}
    return await _form(console, request, session, shown, new=new, error=error, status=422)


def _kept(form: Any) -> dict[str, Any]:
    """A form that could not be read as a spec, shown again as it was typed (nothing a
    manager wrote, and nothing the form keeps unseen, is lost)."""

    def text(name: str) -> str:
        return str(form.get(name) or "")

    shown = form_from_spec({})
    shown.update({k: text(k) for k in shown if isinstance(form.get(k), str)})
    shown["id"] = text("rule_id")
    shown["conditions"] = {n: text(f"if_{n}") for n in CONDITIONS}
    shown["hand_condition"] = text("hand_condition") or None
    shown["hand_lines"] = text("hand_lines") or None
    shown["explanation"] = {lang: text(f"explanation_{lang}") for lang in ("en", "da", "sv")}
    shown["caps"] = {
        **{cap: text(cap) for cap in ("per_member_per_day", "per_member_per_month", "budget")},
        "once_per_member": bool(form.get("once_per_member")),
        "once_per_year": bool(form.get("once_per_year")),
    }
    shown["applies_to"] = [str(v) for v in form.getlist("applies_to")]
    shown["paused"] = form.get("paused") == "on"
    shown["events"] = text("keep_events").split(",") if text("keep_events") else []
    keys = ("priority", "stacks", "funded_by", "beneficiary", "notice")
    shown["kept"] = {k: text(f"keep_{k}") for k in keys if text(f"keep_{k}")}
    return shown


async def _rules(console: ConsoleDep, session: Session) -> list[dict[str, Any]]:
    answer = await console.backends.call("rules", "GET", "/v1/rules", key=session.key, scope=ADMIN)
    return list(answer.body) if answer.ok else []


async def _form(
    console: ConsoleDep,
    request: Request,
    session: Session,
    form: dict[str, Any],
    *,
    new: bool,
    why: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    """The form, with what its pickers offer: the words the data uses, tiers, audiences."""
    key = session.key
    words, tiers, audiences, rules = await asyncio.gather(
        console.backends.call("rules", "GET", "/v1/admin/vocabulary", key=key, scope=ADMIN),
        console.backends.call("rules", "GET", "/v1/tiers", key=key, scope=ADMIN),
        console.backends.call("rules", "GET", "/v1/audiences", key=key, scope=ADMIN),
        _rules(console, session),
    )
    vocabulary = words.body if words.ok else {}
    return page(
        console,
        request,
        "rule_form.html",
        session=session,
        form=form,
        new=new,
        why=why,
        error=error,
        status=status,
        events=EVENTS,
        effects=EFFECTS,
        drivers=DRIVERS,
        vocabulary=vocabulary,
        tiers=[t["name"] for t in tiers.body] if tiers.ok else [],
        audiences=[a["spec"] for a in audiences.body] if audiences.ok else [],
        others=[r["spec"] for r in rules if r["spec"]["id"] != form["id"]],
    )
