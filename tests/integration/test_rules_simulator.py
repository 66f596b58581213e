"""The rules' simulator on real PostgreSQL: custom attributes read by rules, why each rule gave
nothing, a draft checked and simulated without being saved."""

import httpx
import pytest

from tests.integration.test_rules_admin import ADMIN, POS, RULE, purchase

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]


async def test_custom_attributes_are_kept_read_by_rules_and_shown_by_the_simulator(
    client: httpx.AsyncClient,
) -> None:
    """A till's own fields (Talon.One's custom attributes): `data.<name>` for the event,
    `line.attributes.<name>` for a line."""
    north = {
        "id": "north-stores",
        "name": "Northern stores",
        "driver": "structural",
        "events": ["purchase.completed"],
        "condition": 'data.store_region == "north"',
        "effect": {"type": "fixed", "points": 25},
        "explanation": {"en": "northern store bonus"},
    }
    acme = {
        "id": "acme-goods",
        "name": "Acme goods",
        "driver": "economic",
        "events": ["purchase.completed"],
        "effect": {
            "type": "line_points",
            "lines": 'line.attributes.brand == "acme"',
            "points_per_unit": 3,
        },
        "explanation": {"en": "acme goods"},
    }
    for rule in (north, acme):
        saved = await client.put(f"/v1/rules/{rule['id']}", json=rule, headers=ADMIN)
        assert saved.status_code == 200, saved.text
    event = purchase("custom-1")
    event["data"] |= {"store_region": "north", "cashier_id": "c-9"}
    event["data"]["lines"][0] |= {"brand": "acme", "supplier": {"name": "Acme A/S", "tier": 2}}
    simulated = await client.post("/v1/simulate", json=event, headers=ADMIN)
    assert simulated.status_code == 200, simulated.text
    by_rule = {a["rule_id"]: a["points"] for a in simulated.json()["awards"]}
    assert by_rule["north-stores"] == 25
    assert by_rule["acme-goods"] == 6  # two units
    assert simulated.json()["custom_attributes"] == {
        "data": {"store_region": "north", "cashier_id": "c-9"},
        "lines": [{"brand": "acme", "supplier": {"name": "Acme A/S", "tier": 2}}],
    }
    south = purchase("custom-2")
    south["data"] |= {"store_region": "south"}
    elsewhere = (await client.post("/v1/simulate", json=south, headers=ADMIN)).json()
    assert {a["rule_id"] for a in elsewhere["awards"]}.isdisjoint({"north-stores", "acme-goods"})
    # Ingest takes them as the rules do; a name rules could not reach is refused by name.
    assert (await client.post("/v1/events", json=event, headers=POS)).status_code == 202
    event["data"]["store-region"] = "north"
    refused = await client.post("/v1/events", json=event, headers=POS)
    assert refused.status_code == 422
    [error] = refused.json()["errors"][0]["errors"]
    assert "custom attribute 'store-region'" in error["msg"]


async def test_the_simulator_says_why_each_other_rule_gave_nothing(
    client: httpx.AsyncClient,
) -> None:
    event = purchase("why-1")  # a Saturday, no coffee
    simulated = (await client.post("/v1/simulate", json=event, headers=ADMIN)).json()
    fired = {a["rule_id"] for a in simulated["awards"]}
    reasons = {n["rule_id"]: n["reason"] for n in simulated["not_fired"]}
    assert "base-earn" in fired
    assert not fired & reasons.keys()
    assert reasons["welcome"].startswith("it listens to member.enrolled")
    assert reasons["dairy-double"] == "its condition is false for this event"
    rules = (await client.get("/v1/rules", headers=ADMIN)).json()
    assert {r["spec"]["id"] for r in rules} == fired | reasons.keys()  # each rule accounted for
    budgeted = [r for r in rules if r["spec"]["caps"]["budget"]]
    assert all(r["budget_spent"] == 0 for r in budgeted)
    assert all(r["budget_spent"] is None for r in rules if not r["spec"]["caps"]["budget"])


async def test_a_draft_rule_is_checked_and_simulated_without_being_saved(
    client: httpx.AsyncClient,
) -> None:
    broken = {**RULE, "condition": "event.weekday >= "}
    checked = await client.post("/v1/rules/weekend-coffee/check", json=broken, headers=ADMIN)
    assert checked.json() | {"error": None} == {
        "ok": False,
        "error": None,
        "field": "condition",
        "line": 1,
        "column": 18,  # after "event.weekday >= " (the trailing space kept in JSON)
    }
    assert (await client.post("/v1/rules/weekend-coffee/check", json=RULE, headers=ADMIN)).json()[
        "ok"
    ]
    body = {"spec": RULE, "event": purchase("draft-1", "coffee")}
    simulated = await client.post("/v1/rules/weekend-coffee/simulate", json=body, headers=ADMIN)
    awards = {a["rule_id"]: a for a in simulated.json()["awards"]}
    assert (awards["weekend-coffee"]["points"], awards["weekend-coffee"]["rule_version"]) == (14, 1)
    versions = await client.get("/v1/rules/weekend-coffee/versions", headers=ADMIN)
    assert versions.status_code == 404  # nothing was saved
