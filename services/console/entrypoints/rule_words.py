"""A rule said in a sentence a manager reads before publishing it: what members get, when, and
the limits."""

from typing import Any

from services.console.entrypoints.offer_form import read_lines
from services.console.entrypoints.rule_form import EVENTS, read_condition

_LINES = {
    "category": "on lines in the category {}",
    "tag": "on lines tagged {}",
    "brand": "on lines of the brand {}",
    "sku": "on the product {}",
}
_WHEN = {
    "tier": "the member's tier is {}",
    "audience": "the member is in the audience {}",
    "category": "the basket has {}",
    "channel": "it is bought through {}",
    "activity": "the activity is {}",
    "min_total": "the basket is at least {}",
}


def _points(n: Any) -> str:
    return "1 point" if str(n) in ("1", "1.0") else f"{n} points"


def describe(spec: dict[str, Any], currency: str = "DKK") -> str:
    effect = spec.get("effect", {})
    kind, value, hand = read_lines(None if effect.get("lines") == "true" else effect.get("lines"))
    on = (
        f" {_LINES[kind].format(value)}"
        if kind in _LINES
        else " on the lines its expression picks"
        if hand
        else ""
    )
    match effect.get("type"):
        case "points_per_amount":
            per = effect.get("per", "1")
            got = f"{_points(effect.get('points'))} per {per} {currency} spent{on}"
        case "fixed":
            got = _points(effect.get("points"))
        case "threshold_bonus":
            least = f"{effect.get('min_amount')} {currency}"
            got = f"{_points(effect.get('points'))} for a basket of at least {least}"
        case "line_points":
            got = f"{_points(effect.get('points_per_unit'))} per item{on}"
        case "multiplier":
            of = ", ".join(effect.get("applies_to") or ["all other rules"])
            got = f"{effect.get('factor')} times the points of {of}"
        case _:
            got = "points"
    events = [EVENTS.get(e, e).lower() for e in spec.get("events", [])]
    sentence = f"Members get {got} for {' or '.join(events) or 'an event'}"
    conditions, hand_condition = read_condition(spec.get("condition", "true"))
    if hand_condition:
        sentence += ", when its condition (written in CEL) holds"
    elif conditions:
        sentence += ", when " + " and ".join(_WHEN[n].format(v) for n, v in conditions.items())
    limits = _limits(spec.get("caps") or {})
    if limits:
        sentence += "; " + ", ".join(limits)
    if spec.get("enabled") is False:
        sentence += " (paused: it gives nothing)"
    return sentence + "."


def _limits(caps: dict[str, Any]) -> list[str]:
    said = []
    if caps.get("per_member_per_day"):
        said.append(f"at most {caps['per_member_per_day']:,} points a member a day")
    if caps.get("per_member_per_month"):
        said.append(f"at most {caps['per_member_per_month']:,} a month")
    if caps.get("once_per_member"):
        said.append("once per member")
    if caps.get("once_per_year"):
        said.append("once a year per member")
    if caps.get("budget"):
        said.append(f"{caps['budget']:,} points in all")
    return said
