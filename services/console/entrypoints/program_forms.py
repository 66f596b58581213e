"""The tiers and a reward as forms, and back: each writes the document its service's admin API
takes (which names what is wrong); what a form does not show is kept as it was."""

import json
from typing import Any

from starlette.datastructures import FormData

from services.console.entrypoints.offer_form import LANGUAGES, whole

BLANK_TIERS = 2  # empty rows under the tiers, to add one
KINDS = {
    "discount_voucher": "A discount voucher",
    "free_product": "A free product",
    "experience": "An experience",
    "donation": "A donation",
    "partner_reward": "A partner's reward",
}
# What each kind needs to say, in its details.
DETAILS = {
    "amount": "Amount off (e.g. 50.00)",
    "currency": "Currency of the amount",
    "percent": "Percent off (e.g. 10)",
    "min_basket": "Smallest basket it is used on",
    "sku": "The product's SKU",
    "cause": "The cause the points go to",
}


def tiers_from_form(form: FormData) -> list[dict[str, Any]]:
    """The tiers in the form's rows; a row without a name is left out (that removes it)."""
    found = []
    for n in range(int(str(form.get("rows") or 0))):
        name = str(form.get(f"tier_{n}_name") or "").strip()
        if not name:
            continue
        points = str(form.get(f"tier_{n}_min_points") or "").replace(",", "").replace(" ", "")
        names = {
            lang: text
            for lang in LANGUAGES
            if (text := str(form.get(f"tier_{n}_{lang}") or "").strip())
        }
        found.append({"name": name, "min_points": whole(points), "names": names})
    return found


def reward_from_form(form: FormData) -> dict[str, Any]:
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    spec: dict[str, Any] = {
        "id": text("reward_id"),
        "kind": text("kind"),
        "cost_points": whole(text("cost_points").replace(",", "").replace(" ", "")),
        "names": {lang: text(f"name_{lang}") for lang in LANGUAGES if text(f"name_{lang}")},
        "descriptions": {
            lang: text(f"description_{lang}") for lang in LANGUAGES if text(f"description_{lang}")
        },
        "voucher_valid_days": whole(text("voucher_valid_days") or "30"),
        "refund_on_expiry": form.get("refund_on_expiry") == "on",
        "enabled": form.get("paused") != "on",
    }
    for field in ("stock", "per_member_limit"):
        if value := text(field).replace(",", "").replace(" ", ""):
            spec[field] = whole(value)
    for field in ("min_tier", "funded_by"):
        if value := text(field):
            spec[field] = value
    for field in ("valid_from", "valid_until"):
        if value := text(field):
            spec[field] = value if value.endswith("Z") or "+" in value else value + ":00Z"
    details = json.loads(text("kept_details") or "{}")
    for key in DETAILS:
        details.pop(key, None)
        if value := text(f"detail_{key}"):
            details[key] = value
    spec["details"] = details
    return spec


def reward_form(spec: dict[str, Any]) -> dict[str, Any]:
    """What the reward form shows for a saved reward (or a new one)."""
    details = dict(spec.get("details") or {})
    return {
        "id": spec.get("id", ""),
        "kind": spec.get("kind", "discount_voucher"),
        "cost_points": spec.get("cost_points", ""),
        "names": spec.get("names") or {},
        "descriptions": spec.get("descriptions") or {},
        "stock": "" if spec.get("stock") is None else spec["stock"],
        "per_member_limit": spec.get("per_member_limit") or "",
        "min_tier": spec.get("min_tier") or "",
        "funded_by": spec.get("funded_by") or "",
        "valid_from": (spec.get("valid_from") or "")[:16],
        "valid_until": (spec.get("valid_until") or "")[:16],
        "voucher_valid_days": spec.get("voucher_valid_days", 30),
        "refund_on_expiry": bool(spec.get("refund_on_expiry")),
        "paused": spec.get("enabled") is False,
        "details": {k: details.get(k, "") for k in DETAILS},
        "kept_details": json.dumps({k: v for k, v in details.items() if k not in DETAILS}),
    }
