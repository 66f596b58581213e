"""A rule's draft, published at once or scheduled, and the audit trail, on PostgreSQL."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.apps import ADMIN_KEY
from tests.integration.test_rules_admin import RULE, purchase
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
ADMIN = {"X-API-Key": ADMIN_KEY}


async def in_force(client: httpx.AsyncClient, rule_id: str) -> dict | None:  # type: ignore[type-arg]
    rules = (await client.get("/v1/rules", headers=ADMIN)).json()
    return next((r for r in rules if r["spec"]["id"] == rule_id), None)


async def test_a_draft_is_not_in_force_until_published_and_the_trail_says_who(
    client: httpx.AsyncClient,
) -> None:
    draft = await client.put("/v1/rules/weekend-coffee/draft", json=RULE, headers=ADMIN)
    assert draft.status_code == 200
    assert draft.json()["live"] is None  # a new rule: nothing in force to compare with
    assert await in_force(client, "weekend-coffee") is None
    simulated = await client.post("/v1/simulate", json=purchase("m-1", "coffee"), headers=ADMIN)
    assert "weekend-coffee" not in {a["rule_id"] for a in simulated.json()["awards"]}

    published = await client.post("/v1/rules/weekend-coffee/publish", json={}, headers=ADMIN)
    assert published.json() == {
        "rule_id": "weekend-coffee",
        "version": 1,
        "changed": True,
        "effective_at": None,
    }
    assert (await client.get("/v1/rules/weekend-coffee/draft", headers=ADMIN)).status_code == 404
    assert (await in_force(client, "weekend-coffee"))["version"] == 1  # type: ignore[index]

    # The same spec again is no new version, and writes nothing to the trail.
    await client.put("/v1/rules/weekend-coffee/draft", json=RULE, headers=ADMIN)
    again = await client.post("/v1/rules/weekend-coffee/publish", json={}, headers=ADMIN)
    assert (again.json()["version"], again.json()["changed"]) == (1, False)
    assert (await client.put("/v1/rules/weekend-coffee", json=RULE, headers=ADMIN)).json()[
        "version"
    ] == 1

    trail = (await client.get("/v1/audit?kind=rule&object_id=weekend-coffee", headers=ADMIN)).json()
    assert [(c["action"], c["version"], c["actor"]) for c in trail] == [("published", 1, "admin")]
    assert trail[0]["before"] is None
    assert trail[0]["after"]["effect"]["points_per_unit"] == 7


async def test_a_scheduled_version_waits_for_its_time_and_the_old_one_stays_in_force(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/v1/rules/weekend-coffee", json=RULE, headers=ADMIN)
    richer = {**RULE, "effect": {**RULE["effect"], "points_per_unit": 9}}  # type: ignore[dict-item]
    await client.put("/v1/rules/weekend-coffee/draft", json=richer, headers=ADMIN)
    shown = (await client.get("/v1/rules/weekend-coffee/draft", headers=ADMIN)).json()
    assert (shown["live_version"], shown["live"]["effect"]["points_per_unit"]) == (1, 7)
    at = datetime.now(UTC) + timedelta(seconds=4)
    scheduled = await client.post(
        "/v1/rules/weekend-coffee/publish",
        json={"effective_at": at.isoformat()},
        headers=ADMIN,
    )
    assert scheduled.json()["version"] == 2
    listed = await in_force(client, "weekend-coffee")
    assert listed is not None
    assert (listed["version"], listed["scheduled_version"]) == (1, 2)

    async def points() -> int:
        simulated = await client.post("/v1/simulate", json=purchase("m-2", "coffee"), headers=ADMIN)
        return sum(
            a["points"] for a in simulated.json()["awards"] if a["rule_id"] == "weekend-coffee"
        )

    assert await points() == 14  # 2 coffees at 7: version 1 until its time
    await eventually(points, lambda p: p == 18, what="version 2 in force after its time")
    trail = (await client.get("/v1/audit?object_id=weekend-coffee", headers=ADMIN)).json()
    assert [c["action"] for c in trail] == ["scheduled", "published"]
    assert trail[0]["effective_at"] is not None
    assert trail[0]["before"]["effect"]["points_per_unit"] == 7


async def test_publishing_over_a_version_the_draft_did_not_start_from_is_a_409(
    client: httpx.AsyncClient,
) -> None:
    await client.put("/v1/rules/weekend-coffee", json=RULE, headers=ADMIN)
    await client.put("/v1/rules/weekend-coffee/draft", json={**RULE, "name": "Mine"}, headers=ADMIN)
    await client.put("/v1/rules/weekend-coffee", json={**RULE, "name": "Theirs"}, headers=ADMIN)
    refused = await client.post("/v1/rules/weekend-coffee/publish", json={}, headers=ADMIN)
    assert refused.status_code == 409
    assert "version 2" in refused.json()["detail"]
    past = await client.post(
        "/v1/rules/weekend-coffee/publish",
        json={"effective_at": "2020-01-01T00:00:00Z"},
        headers=ADMIN,
    )
    assert past.status_code == 422
    none = await client.post("/v1/rules/nothing-here/publish", json={}, headers=ADMIN)
    assert none.status_code == 404


async def test_tiers_and_other_documents_are_in_the_trail_with_before_and_after(
    client: httpx.AsyncClient,
) -> None:
    tiers = [{"name": "base", "min_points": 0}, {"name": "vip", "min_points": 500}]
    assert (await client.put("/v1/tiers", json=tiers, headers=ADMIN)).status_code == 200
    await client.put("/v1/tiers", json=tiers, headers=ADMIN)  # unchanged: no new row
    trail = (await client.get("/v1/audit?kind=tiers", headers=ADMIN)).json()
    assert [c["actor"] for c in trail] == ["admin", "default pack"]  # the second: no change
    assert [{k: t[k] for k in ("name", "min_points")} for t in trail[0]["after"]] == tiers
    assert [t["name"] for t in trail[0]["before"]] == ["base", "silver", "gold"]
