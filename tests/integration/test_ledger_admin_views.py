"""The ledger's administration on PostgreSQL: the audit trail of the catalogue and of
adjustments, and the members listed, sorted and narrowed a page at a time."""

import uuid

import httpx
import pytest

from tests.apps import TILL_KEY
from tests.integration.test_rewards import ADMIN, add_reward, member_with

pytestmark = [pytest.mark.integration, pytest.mark.serves("ledger")]
TILL = {"X-API-Key": TILL_KEY}


async def test_catalogue_changes_and_adjustments_are_in_the_audit_trail(
    client: httpx.AsyncClient,
) -> None:
    reward = await add_reward(client, stock=10)
    body = {"id": reward, "kind": "free_product", "cost_points": 150, "names": {"en": "A prize"}}
    for _ in range(2):  # the second is unchanged: nothing more in the trail
        await client.put(f"/v1/admin/rewards/{reward}", json={**body, "stock": 10}, headers=ADMIN)
    member = await member_with(client, 40)
    trail = (await client.get(f"/v1/admin/audit?object_id={reward}", headers=ADMIN)).json()
    assert [(c["action"], c["actor"]) for c in trail] == [("saved", "admin")] * 2
    assert (trail[0]["before"]["cost_points"], trail[0]["after"]["cost_points"]) == (100, 150)
    assert trail[1]["before"] is None
    adjusted = (
        await client.get(f"/v1/admin/audit?kind=adjustment&object_id={member}", headers=ADMIN)
    ).json()
    assert [(c["actor"], c["object_id"], c["after"]) for c in adjusted] == [
        ("admin", member, {"points": 40, "reason": "test points"})
    ]
    assert (await client.get("/v1/admin/audit", headers=TILL)).status_code == 403


async def test_members_are_listed_sorted_and_narrowed_by_the_start_of_their_id(
    client: httpx.AsyncClient,
) -> None:
    run = uuid.uuid4().hex[:6]
    for n, points in enumerate((30, 10, 20)):
        await client.post(
            f"/v1/admin/members/ls-{run}-{n}/adjustments",
            headers=ADMIN,
            json={"adjustment_id": uuid.uuid4().hex, "points": points, "reason": "test points"},
        )
    listed = await client.get(
        "/v1/admin/members",
        params={"prefix": f"ls-{run}-", "sort": "available", "order": "asc", "limit": 2},
        headers=ADMIN,
    )
    body = listed.json()
    assert body["total"] == 3
    assert [(m["member_id"][-1], m["available"]) for m in body["members"]] == [("1", 10), ("2", 20)]
    rest = await client.get(
        "/v1/admin/members",
        params={"prefix": f"ls-{run}-", "sort": "available", "order": "asc", "offset": 2},
        headers=ADMIN,
    )
    assert [m["available"] for m in rest.json()["members"]] == [30]
    wild = await client.get("/v1/admin/members", params={"prefix": f"ls_{run}"}, headers=ADMIN)
    assert wild.json()["total"] == 0  # "_" is a character like any other, not a wildcard
    odd = await client.get("/v1/admin/members", params={"prefix": "%"}, headers=ADMIN)
    assert odd.status_code == 422  # no member id has it
    assert (await client.get("/v1/admin/members", headers=TILL)).status_code == 403
