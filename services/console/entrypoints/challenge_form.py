"""A challenge as a form a manager fills in (no expressions), and back: what counts as a step
is chosen from a list (a purchase, one with a product of a category or tag, a basket over an
amount, a review, a review after a purchase, a referral), and the form writes the same spec
the rules' admin API takes; a condition written by hand is kept as it is."""

import re
from typing import Any

from starlette.datastructures import FormData

from services.console.entrypoints.offer_form import LANGUAGES, whole

# What counts as a step: its event types, and the condition each writes ({} : the value).
STEPS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "purchase": (("purchase.completed",), None),
    "category": (("purchase.completed",), "{} in purchase.categories"),
    "tag": (("purchase.completed",), "{} in purchase.tags"),
    "basket": (("purchase.completed",), "purchase.paid >= {}"),
    "review": (("member.activity",), 'data.activity == "review"'),
    "review_after_purchase": (
        ("member.activity",),
        'data.activity == "review" && member.purchases_total > 0',
    ),
    "referral": (("referral.completed",), None),
}
STEP_LABELS = {
    "purchase": "A purchase",
    "category": "A purchase with a product of the category",
    "tag": "A purchase with a product tagged",
    "basket": "A purchase of at least (amount)",
    "review": "A review",
    "review_after_purchase": "A review by a member who has bought",
    "referral": "A friend referred",
}
GOALS = {
    "weeks_in_a_row": "Weeks in a row with a step",
    "count": "Steps in all",
    "categories": "Different categories bought",
}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "").replace('"', "") + '"'


def _number(text: str) -> str:
    return text if re.fullmatch(r"\d+(\.\d+)?", text) else "0"


def _condition(step: str, value: str) -> str | None:
    pattern = STEPS.get(step, STEPS["purchase"])[1]
    if pattern is None:
        return None
    if "{}" not in pattern:
        return pattern
    filled = _number(value) if step == "basket" else _quoted(value)
    return pattern.format(filled)


def read_step(events: list[str], condition: str) -> tuple[str, str, str | None]:
    """(step, value, hand-written condition) of a spec."""
    for step, (types, pattern) in STEPS.items():
        if list(types) != events:
            continue
        if pattern is None and condition == "true":
            return step, "", None
        if pattern is not None and "{}" not in pattern and condition == pattern:
            return step, "", None
        if pattern is not None and "{}" in pattern:
            regex = "^" + re.escape(pattern).replace(r"\{\}", r'"?([^"\\]*?)"?') + "$"
            if found := re.match(regex, condition):
                return step, found.group(1), None
    return "purchase", "", condition


def spec_from_form(form: FormData, challenge_id: str) -> dict[str, Any]:
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    def texts(prefix: str) -> dict[str, str]:
        return {lang: text(f"{prefix}_{lang}") for lang in LANGUAGES if text(f"{prefix}_{lang}")}

    goal = text("goal") if text("goal") in GOALS else "count"
    step = text("step") if text("step") in STEPS else "purchase"
    hand = text("hand_condition")
    events = list(STEPS[step][0])
    if hand:
        events = [e for e in text("hand_events").split(",") if e] or events
    spec: dict[str, Any] = {
        "id": challenge_id,
        "name": texts("name"),
        "description": texts("description"),
        "goal": goal,
        "target": whole(text("target") or "1"),
        "events": ["purchase.completed"] if goal == "categories" else events,
        "points": whole(text("points") or "0"),
        "nudge": form.get("nudge") == "on",
        "enabled": form.get("enabled") != "off",
    }
    condition = hand or _condition(step, text("step_value"))
    if condition and goal != "categories":
        spec["condition"] = condition
    if badge := texts("badge"):
        spec["badge"] = {
            "id": text("badge_id")
            or re.sub(r"[^a-z0-9]+", "-", badge.get("en", "").lower()).strip("-")
            or challenge_id,
            "name": badge,
            "icon": text("badge_icon") or "★",
        }
    for field in ("audience", "funded_by", "reward_id"):
        if value := text(field):
            spec[field] = value
    if text("window") == "rolling":
        spec["rolling_days"] = whole(text("rolling_days") or "30")
    for field in ("active_from", "active_until"):
        if value := text(field):
            spec[field] = value if value.endswith("Z") or "+" in value else value + ":00Z"
    return spec


def form_from_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """What the form shows for a saved spec."""
    events = spec.get("events", ["purchase.completed"])
    step, value, hand = read_step(events, spec.get("condition", "true"))
    badge = spec.get("badge") or {}
    return {
        "id": spec.get("id", ""),
        "name": spec.get("name", {}),
        "description": spec.get("description", {}),
        "goal": spec.get("goal", "weeks_in_a_row"),
        "target": spec.get("target", 3),
        "step": step,
        "step_value": value,
        "hand_condition": hand,
        "hand_events": ",".join(events) if hand else "",
        "points": spec.get("points", 0),
        "badge_id": badge.get("id", ""),
        "badge": badge.get("name", {}),
        "badge_icon": badge.get("icon", "★"),
        "audience": spec.get("audience") or "",
        "funded_by": spec.get("funded_by") or "",
        "reward_id": spec.get("reward_id") or "",
        "window": "rolling" if spec.get("rolling_days") else "dates",
        "rolling_days": spec.get("rolling_days") or 30,
        "active_from": (spec.get("active_from") or "")[:16],
        "active_until": (spec.get("active_until") or "")[:16],
        "nudge": spec.get("nudge", False),
        "enabled": spec.get("enabled", True),
    }
