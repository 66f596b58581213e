"""A rule as a form a manager fills in (no expressions), and back: the form writes the same
spec the rules' admin API takes. Its conditions are picked (a tier, an audience, a category in
the basket, a channel, an activity, a smallest basket) and joined with "and"; a condition the
form cannot read back (written by hand in CEL) opens read-only and is kept as it is."""

import re
from typing import Any

from starlette.datastructures import FormData

from services.console.entrypoints.offer_form import LANGUAGES, lines_of, read_lines, whole

EVENTS = {
    "purchase.completed": "A purchase",
    "member.enrolled": "A member joins",
    "member.profile_completed": "A member completes their profile",
    "member.activity": "An activity (review, survey, share, own bag …)",
    "referral.completed": "A friend joins by a member's referral",
    "complaint.resolved": "A complaint is resolved",
    "member.birthday": "A member's birthday",
    "member.anniversary": "A membership anniversary",
}
EFFECTS = {
    "per_amount": "Points per amount spent",
    "fixed": "A fixed number of points",
    "threshold": "Bonus points for a basket of at least an amount",
    "per_unit": "Points per item bought",
    "multiplier": "A multiple of another rule's points",
}
# The conditions the form offers: each writes one expression, read back by its pattern.
CONDITIONS = {
    "tier": 'member.tier == "{}"',
    "audience": 'member.in("{}")',
    "category": '"{}" in purchase.categories',
    "channel": 'purchase.channel == "{}"',
    "activity": 'data.activity == "{}"',
    "min_total": "purchase.total >= {}",
}
_READ = {
    name: re.compile(
        "^"
        + re.escape(pattern).replace(r'"\{\}"', r'"([^"\\]*)"').replace(r"\{\}", r"([0-9.]+)")
        + "$"
    )
    for name, pattern in CONDITIONS.items()
}
CAPS = ("per_member_per_day", "per_member_per_month", "budget")


def _quoted_value(text: str) -> str:
    return text.replace("\\", "").replace('"', "")


def condition_of(values: dict[str, str]) -> str:
    """The expression the picked conditions make ("true": none picked)."""
    parts = []
    for name, pattern in CONDITIONS.items():
        value = values.get(name, "").strip()
        if not value:
            continue
        if name == "min_total":
            value = value.replace(",", ".").replace(" ", "")
            if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", value):
                raise ValueError(f"the smallest basket {value!r} is not an amount")
        parts.append(pattern.format(_quoted_value(value)))
    return " && ".join(parts) or "true"


def read_condition(expression: str) -> tuple[dict[str, str], str | None]:
    """(the form's conditions, the expression kept as written when the form cannot show it)."""
    values: dict[str, str] = {}
    if expression.strip() in ("", "true"):
        return values, None
    for part in expression.split(" && "):
        for name, pattern in _READ.items():
            found = pattern.match(part.strip())
            if found and name not in values:
                values[name] = found.group(1)
                break
        else:
            return {}, expression
    return values, None


def spec_from_form(form: FormData, rule_id: str) -> dict[str, Any]:
    """The rule spec the form describes (the API names what is wrong in it)."""

    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    effect_kind = text("effect")
    points = text("points").replace(",", ".")
    picked = text("lines_value") or text("lines_other")
    lines = text("hand_lines") or lines_of(text("lines"), picked)
    filtered = effect_kind in ("per_amount", "per_unit") and text("lines") not in ("", "all")
    if filtered and not lines:
        raise ValueError(
            "Pick the category, tag, brand or product whose lines earn, or choose all of the "
            "purchase."
        )
    if not text("explanation_en"):
        raise ValueError("Write what members read about their points, at least in English.")
    effect: dict[str, Any]
    if effect_kind == "fixed":
        effect = {"type": "fixed", "points": whole(points)}
    elif effect_kind == "threshold":
        effect = {
            "type": "threshold_bonus",
            "min_amount": text("min_amount"),
            "points": whole(points),
        }
    elif effect_kind == "per_unit":
        effect = {"type": "line_points", "lines": lines or "true", "points_per_unit": whole(points)}
    elif effect_kind == "multiplier":
        applies = [str(v) for v in form.getlist("applies_to") if str(v).strip()]
        effect = {"type": "multiplier", "factor": text("factor").replace(",", ".") or "2"}
        effect["applies_to"] = applies
    else:
        effect = {"type": "points_per_amount", "points": points or "1", "per": text("per") or "1"}
        if lines:
            effect["lines"] = lines
    condition = text("hand_condition") or condition_of(
        {name: text(f"if_{name}") for name in CONDITIONS}
    )
    caps: dict[str, Any] = {}
    for cap in CAPS:
        if value := text(cap).replace(" ", "").replace(",", ""):
            caps[cap] = whole(value)
    for flag in ("once_per_member", "once_per_year"):
        if form.get(flag):
            caps[flag] = True
    spec: dict[str, Any] = {
        "id": rule_id,
        "name": text("name"),
        "driver": text("driver") or "economic",
        "events": [text("event") or "purchase.completed"],
        "condition": condition,
        "effect": effect,
        "explanation": {
            lang: text(f"explanation_{lang}") for lang in LANGUAGES if text(f"explanation_{lang}")
        },
        "caps": caps,
        "enabled": form.get("paused") != "on",
    }
    if days := text("pending_days"):
        spec["pending_days"] = whole(days)
    if more := text("keep_events"):  # a rule for several kinds of event keeps them all
        spec["events"] = more.split(",")
    for kept in ("priority", "stacks", "funded_by", "beneficiary", "notice"):
        if value := text(f"keep_{kept}"):  # what the form does not edit, as it was
            spec[kept] = _kept(value)
    for field in ("active_from", "active_until"):
        if value := text(field):
            spec[field] = value if value.endswith("Z") or "+" in value else value + ":00Z"
    return spec


def _kept(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    return int(value) if re.fullmatch(r"-?[0-9]+", value) else value


def form_from_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """What the form shows for a spec (a version, a draft, or a template)."""
    effect = spec.get("effect", {})
    kind = {
        "fixed": "fixed",
        "threshold_bonus": "threshold",
        "line_points": "per_unit",
        "multiplier": "multiplier",
    }.get(effect.get("type", ""), "per_amount")
    lines_kind, lines_value, hand_lines = read_lines(
        None if effect.get("lines") == "true" else effect.get("lines")
    )
    conditions, hand_condition = read_condition(spec.get("condition", "true"))
    caps = spec.get("caps") or {}
    return {
        "id": spec.get("id", ""),
        "name": spec.get("name", ""),
        "driver": spec.get("driver", "economic"),
        "event": (spec.get("events") or ["purchase.completed"])[0],
        "events": spec.get("events") or [],
        "effect": kind,
        "points": effect.get("points", effect.get("points_per_unit", "")),
        "per": effect.get("per", "1"),
        "min_amount": effect.get("min_amount", ""),
        "factor": effect.get("factor", "2"),
        "applies_to": effect.get("applies_to", []),
        "lines": lines_kind,
        "lines_value": lines_value,
        "hand_lines": hand_lines,
        "conditions": conditions,
        "hand_condition": hand_condition,
        "condition": spec.get("condition", "true"),
        "explanation": spec.get("explanation", {}),
        "caps": caps,
        "pending_days": spec.get("pending_days") or "",
        "active_from": (spec.get("active_from") or "")[:16],
        "active_until": (spec.get("active_until") or "")[:16],
        "paused": spec.get("enabled") is False,
        "kept": {
            k: ("true" if v is True else "false" if v is False else v)
            for k in ("priority", "stacks", "funded_by", "beneficiary", "notice")
            if (v := spec.get(k)) is not None
        },
    }
