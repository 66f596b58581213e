"""The rule editor's texts: a spec as YAML and back, the line an error is on, an example event
for the simulator."""

import difflib
from datetime import UTC, datetime
from typing import Any

import yaml


def source_line(spec: dict[str, Any] | None, result: dict[str, Any]) -> str | None:
    """The line of the expression the error is on, to put a caret under its column."""
    field, line = result.get("field"), result.get("line")
    if spec is None or not field or not line:
        return None
    if not isinstance(spec.get("effect", {}), dict):
        return None
    effect = spec.get("effect")
    source = spec.get(field) if field in spec else (effect or {}).get(field)
    if not isinstance(source, str):
        return None
    lines = source.splitlines() or [""]
    return lines[line - 1] if 0 < line <= len(lines) else None


def changes(before: dict[str, Any] | None, after: dict[str, Any], old: str, new: str) -> str:
    """What ``after`` changes against ``before``, line by line (YAML); "" with no before."""
    if before is None:
        return ""
    return "".join(
        difflib.unified_diff(
            as_yaml(before).splitlines(True), as_yaml(after).splitlines(True), old, new
        )
    )


def newest_change(history: list[dict[str, Any]]) -> str:
    """What a rule's newest version changed against the one before ("" for a first one)."""
    if len(history) < 2:
        return ""
    old, new = history[-2], history[-1]
    return changes(
        old["spec"], new["spec"], f"version {old['version']}", f"version {new['version']}"
    )


def as_yaml(spec: dict[str, Any]) -> str:
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)


def parsed_spec(text: str, rule_id: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, f"Not valid YAML: {exc}"
    if not isinstance(spec, dict):
        return None, "The rule is a YAML mapping (id, name, driver, events, condition, effect ...)."
    spec.setdefault("id", rule_id)
    return spec, None


def example_event() -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "simulated-1",
        "source": "console",
        "type": "purchase.completed",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "subject": "member-1",
        "data": {
            "purchase_id": "p-1",
            "channel": "pos",
            "currency": "DKK",
            "total": "250.00",
            "lines": [
                {"sku": "milk", "category": "dairy", "quantity": 2, "unit_price": "12.50"},
                {"sku": "coffee", "category": "pantry", "quantity": 1, "unit_price": "225.00"},
            ],
        },
    }
