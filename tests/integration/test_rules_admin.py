"""Rules administration on PostgreSQL: versions, compile errors, packs, simulation."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import yaml

from tests.apps import ADMIN_KEY, POS_KEY

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
# The last Saturday (the weekend rule below), within the window of plausible event times
# (docs/events.md) whenever this runs.
_TODAY = datetime.now(UTC)
LAST_SATURDAY = (_TODAY - timedelta(days=(_TODAY.weekday() - 5) % 7)).replace(
    hour=10, minute=0, second=0, microsecond=0
)
ADMIN = {"X-API-Key": ADMIN_KEY}
POS = {"X-API-Key": POS_KEY}
RULE = {
    "id": "weekend-coffee",
    "name": "Weekend coffee",
    "driver": "economic",
    "events": ["purchase.completed"],
    "condition": "event.weekday >= 6",
    "effect": {"type": "line_points", "lines": '"coffee" in line.tags', "points_per_unit": 7},
    "explanation": {"en": "weekend coffee"},
}


def purchase(member: str, *tags: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "pos/1",
        "type": "purchase.completed",
        "time": LAST_SATURDAY.isoformat(),
        "subject": member,
        "data": {
            "purchase_id": "p",
            "channel": "pos",
            "currency": "DKK",
            "total": "45.50",
            "lines": [
                {
                    "sku": "c",
                    "category": "pantry",
                    "quantity": 2,
                    "unit_price": "22.75",
                    "tags": list(tags),
                }
            ],
        },
    }


async def test_the_default_pack_is_loaded_and_exported_as_yaml(client: httpx.AsyncClient) -> None:
    rules = (await client.get("/v1/rules", headers=ADMIN)).json()
    drivers = {r["spec"]["driver"] for r in rules}
    assert drivers == {"economic", "structural", "emotional"}
    exported = yaml.safe_load((await client.get("/v1/rules.yaml", headers=ADMIN)).text)
    assert {r["id"] for r in exported["rules"]} == {r["spec"]["id"] for r in rules}
    assert [t["name"] for t in exported["tiers"]] == ["base", "silver", "gold"]


async def test_a_saved_rule_gets_versions_and_a_broken_expression_is_refused_with_its_place(
    client: httpx.AsyncClient,
) -> None:
    first = await client.put("/v1/rules/weekend-coffee", json=RULE, headers=ADMIN)
    second = await client.put(
        "/v1/rules/weekend-coffee", headers=ADMIN, json={**RULE, "name": "Weekend coffee bonus"}
    )
    broken = await client.put(
        "/v1/rules/weekend-coffee", headers=ADMIN, json={**RULE, "condition": "event.weekday >= "}
    )
    pos = await client.put("/v1/rules/weekend-coffee", json=RULE, headers={"X-API-Key": POS_KEY})
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert broken.status_code == 422
    assert "condition" in broken.json()["detail"]
    assert "<input>:1:18" in broken.json()["detail"]  # line and column of the error
    assert pos.status_code == 403
    versions = (await client.get("/v1/rules/weekend-coffee/versions", headers=ADMIN)).json()
    assert [v["spec"]["name"] for v in versions] == ["Weekend coffee", "Weekend coffee bonus"]
    assert versions[0]["created_by"] == "admin"


async def test_simulate_explains_what_an_event_would_earn_and_writes_nothing(
    client: httpx.AsyncClient,
) -> None:
    assert (
        await client.put("/v1/rules/weekend-coffee", json=RULE, headers=ADMIN)
    ).status_code == 200
    event = purchase("sim-1", "coffee")
    first = (await client.post("/v1/simulate", json=event, headers=ADMIN)).json()
    again = (await client.post("/v1/simulate", json=event, headers=ADMIN)).json()
    by_rule = {a["rule_id"]: a for a in first["awards"]}
    assert by_rule["base-earn"]["points"] == 45
    assert by_rule["weekend-coffee"]["points"] == 14  # a Saturday, two coffees
    assert by_rule["weekend-coffee"]["explanation"] == "weekend coffee"
    assert again == first  # nothing was recorded: no caps used, no purchase counted
    assert first["member"]["purchases_total"] == 1
    # What a member reading each language would read: weekend coffee has only English, so a
    # Danish or Swedish member reads both rules in English (never two languages at once).
    assert by_rule["weekend-coffee"]["explanations"] == dict.fromkeys(
        ("en", "da", "sv"), "weekend coffee"
    )
    base = by_rule["base-earn"]["explanations"]
    assert base == dict.fromkeys(("en", "da", "sv"), "1 point per DKK spent (45.50 DKK)")
    alone = (await client.post("/v1/simulate", json=purchase("sim-2"), headers=ADMIN)).json()
    [only] = [a for a in alone["awards"] if a["rule_id"] == "base-earn"]
    assert only["explanations"] == {
        "en": "1 point per DKK spent (45.50 DKK)",
        "da": "1 point pr. DKK (45,50 DKK)",  # as each language writes an amount
        "sv": "1 poäng per DKK (45,50 DKK)",
    }


async def test_a_pack_with_an_error_is_refused_whole(client: httpx.AsyncClient) -> None:
    pack = {"rules": [RULE, {**RULE, "id": "bad", "condition": "((("}]}
    response = await client.put("/v1/rules.yaml", content=yaml.safe_dump(pack), headers=ADMIN)
    assert response.status_code == 422
    assert "rule bad condition" in response.json()["detail"]
    ids = {r["spec"]["id"] for r in (await client.get("/v1/rules", headers=ADMIN)).json()}
    assert "weekend-coffee" not in ids


async def test_tiers_are_replaced_by_an_admin(client: httpx.AsyncClient) -> None:
    new = [
        {"name": "member", "min_points": 0, "names": {}},
        {"name": "vip", "min_points": 2500, "names": {"da": "VIP-medlem"}},
    ]
    replaced = await client.put("/v1/tiers", json=new, headers=ADMIN)
    duplicate = await client.put("/v1/tiers", json=new + new, headers=ADMIN)
    assert replaced.json() == new
    assert duplicate.status_code == 422
    assert (await client.get("/v1/tiers", headers=ADMIN)).json() == new


async def test_values_the_database_cannot_store_are_a_clear_422_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    # Found by the fuzzer: a NUL in a text, and a number past 64 bits. A NUL, like any control
    # character, is refused as what it is, naming the field.
    nul = await client.put(
        "/v1/tiers", json=[{"name": "gold\u0000", "min_points": 10}], headers=ADMIN
    )
    assert nul.status_code == 422
    assert nul.headers["content-type"].startswith("application/problem+json")
    [error] = nul.json()["errors"]
    assert error["loc"] == ["body", 0, "name"]
    assert "control characters (U+0000)" in error["msg"]
    huge = await client.put(
        "/v1/tiers", json=[{"name": "gold", "min_points": 10**22}], headers=ADMIN
    )
    assert huge.status_code == 422
    tiers = (await client.get("/v1/tiers", headers=ADMIN)).json()
    assert all("\u0000" not in t["name"] for t in tiers)


async def test_names_members_read_refuse_control_characters(client: httpx.AsyncClient) -> None:
    """A tier named "\u0005Gold\r" once reached the wallet as garbage."""
    tier = await client.put(
        "/v1/tiers", json=[{"name": "\u0005Gold\r", "min_points": 0}], headers=ADMIN
    )
    assert tier.status_code == 422
    assert "U+0005, U+000D" in tier.json()["errors"][0]["msg"]
    rule = (await client.get("/v1/rules", headers=ADMIN)).json()[0]["spec"]
    named = await client.put(
        f"/v1/rules/{rule['id']}", json={**rule, "name": "Bonus\u001b[31m"}, headers=ADMIN
    )
    explained = await client.put(
        f"/v1/rules/{rule['id']}",
        json={**rule, "explanation": {"en": "line\nbreak"}},
        headers=ADMIN,
    )
    assert (named.status_code, explained.status_code) == (422, 422)
    assert named.json()["errors"][0]["loc"] == ["body", "name"]
