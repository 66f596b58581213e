"""An offer as a form a manager fills in (no expressions), and back: the form writes the
same spec the rules' admin API takes; a spec whose lines or condition were written by hand
opens with them kept as they are (shown, not editable here)."""

import re
from typing import Any

from starlette.datastructures import FormData

LANGUAGES = ("en", "da", "sv")
# Which lines earn: the form's choices, and the expression each writes.
LINE_KINDS = {
    "all": None,
    "category": "line.category == {}",
    "tag": "{} in line.tags",
    "brand": "line.attributes.brand == {}",
    "sku": "line.sku == {}",
}
_READ = {
    kind: re.compile("^" + re.escape(pattern).replace(r"\{\}", r'"([^"\\]*)"') + "$")
    for kind, pattern in LINE_KINDS.items()
    if pattern is not None
}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "").replace('"', "") + '"'


def lines_of(kind: str, value: str) -> str | None:
    pattern = LINE_KINDS.get(kind)
    return None if pattern is None or not value.strip() else pattern.format(_quoted(value.strip()))


def read_lines(expression: str | None) -> tuple[str, str, str | None]:
    """(kind, value, hand-written) of a spec's line filter."""
    if not expression:
        return "all", "", None
    for kind, pattern in _READ.items():
        if found := pattern.match(expression.strip()):
            return kind, found.group(1), None
    return "all", "", expression


def whole(text: str) -> int | str:
    """A whole number as a number; anything else as written (the API names what is wrong)."""
    return int(text) if text.isdigit() else text


def spec_from_form(form: FormData, offer_id: str) -> dict[str, Any]:
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    names = {lang: text(f"name_{lang}") for lang in LANGUAGES if text(f"name_{lang}")}
    descriptions = {
        lang: text(f"description_{lang}") for lang in LANGUAGES if text(f"description_{lang}")
    }
    benefit = text("benefit")
    points = text("points").replace(",", ".") or "0"
    lines = text("hand_lines") or lines_of(text("lines"), text("lines_value"))
    effect: dict[str, Any]
    if benefit == "fixed":
        effect = {"type": "fixed", "points": whole(points)}
    elif benefit == "reward_price":
        effect = {"type": "reward_price", "reward_id": text("reward_id"), "points": whole(points)}
    elif benefit == "multiplier":
        effect = {"type": "multiplier", "factor": text("factor").replace(",", ".") or "2"}
    else:
        effect = {"type": "points_per_amount", "points": points, "per": text("per") or "1"}
        if lines:
            effect["lines"] = lines
    spec: dict[str, Any] = {
        "id": offer_id,
        "name": names,
        "description": descriptions,
        "audience": text("audience"),
        "effect": effect,
        "activation": "clip" if text("activation") == "clip" else "automatic",
        "control_share": str(int(text("control") or "0") / 100),
        "enabled": form.get("enabled") != "off",
    }
    if hand := text("hand_condition"):
        spec["condition"] = hand
    for field in ("budget", "per_member_limit"):
        if value := text(field).replace(" ", "").replace(",", ""):
            spec[field] = whole(value)
    for field in ("active_from", "active_until"):
        if value := text(field):
            spec[field] = value if value.endswith("Z") or "+" in value else value + ":00Z"
    return spec


_BENEFITS = {"fixed": "fixed", "multiplier": "multiplier", "reward_price": "reward_price"}


def form_from_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """What the form shows for a saved spec."""
    effect = spec.get("effect", {})
    kind, value, hand = read_lines(effect.get("lines"))
    return {
        "id": spec.get("id", ""),
        "name": spec.get("name", {}),
        "description": spec.get("description", {}),
        "audience": spec.get("audience", ""),
        "benefit": _BENEFITS.get(effect.get("type"), "per_amount"),
        "points": effect.get("points", ""),
        "per": effect.get("per", "1"),
        "factor": effect.get("factor", "2"),
        "reward_id": effect.get("reward_id", ""),
        "lines": kind,
        "lines_value": value,
        "hand_lines": hand,
        "hand_condition": spec.get("condition")
        if spec.get("condition", "true") != "true"
        else None,
        "activation": spec.get("activation", "automatic"),
        "control": round(float(spec.get("control_share", 0)) * 100),
        "budget": spec.get("budget") or "",
        "per_member_limit": spec.get("per_member_limit") or "",
        "active_from": (spec.get("active_from") or "")[:16],
        "active_until": (spec.get("active_until") or "")[:16],
        "enabled": spec.get("enabled", True),
    }
