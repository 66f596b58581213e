"""Partners in the rules service, on PostgreSQL and Kafka: a partner's key posts only its own
event types from its own source (and nobody else posts from it), the points its rule awards
are its to pay, and its settlement is readable by its own key and the program's, never by
another partner's."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.apps import ADMIN_KEY, ANALYST_KEY, BANK_KEY, COFFEE_KEY, POS_KEY
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
ADMIN = {"X-API-Key": ADMIN_KEY}
COFFEE = {"X-API-Key": COFFEE_KEY}


def purchase(member: str, source: str, kind: str = "purchase.completed") -> dict[str, Any]:
    data: dict[str, Any] = {"purchase_id": str(uuid.uuid4()), "channel": "pos"}
    data |= {"currency": "DKK", "total": "38.00"}
    if kind != "purchase.completed":
        data = {"channel": "pos"}
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": kind,
        "time": datetime.now(UTC).isoformat(),
        "subject": member,
        "data": data,
    }


async def test_a_partner_posts_its_own_events_and_reads_its_own_settlement(
    client: httpx.AsyncClient,
) -> None:
    run = uuid.uuid4().hex[:6]
    partner = {"id": "coffee", "name": "Coffee & Co", "events": ["purchase.completed"]}
    assert (await client.put("/v1/partners/coffee", json=partner, headers=ADMIN)).status_code == 200
    rule = {
        "id": f"coffee-{run}",
        "name": "Coffee at our partner",
        "driver": "economic",
        "events": ["purchase.completed"],
        "condition": 'event.source.startsWith("partners/coffee")',
        "effect": {"type": "fixed", "points": 15},
        "explanation": {"en": "a coffee at Coffee & Co"},
        "funded_by": "coffee",
    }
    r = await client.put(f"/v1/rules/coffee-{run}", json=rule, headers=ADMIN)
    assert r.status_code == 200, r.text
    members = [f"pt-{run}-{n}" for n in range(3)]
    ok = await client.post(
        "/v1/events",
        json=[purchase(m, f"partners/coffee/store-{n}") for n, m in enumerate(members)],
        headers=COFFEE,
    )
    assert ok.status_code == 202, ok.text
    # Its own event types only, from its own source only; and nobody else posts from it.
    wrong_type = await client.post(
        "/v1/events",
        json=purchase(members[0], "partners/coffee", "member.enrolled"),
        headers=COFFEE,
    )
    assert wrong_type.status_code == 422
    assert "may post purchase.completed, not member.enrolled" in wrong_type.text
    wrong_source = await client.post(
        "/v1/events", json=purchase(members[0], "pos/1"), headers=COFFEE
    )
    assert wrong_source.status_code == 422
    assert "its own source: partners/coffee" in wrong_source.text
    impostor = await client.post(
        "/v1/events", json=purchase(members[0], "partners/coffee"), headers={"X-API-Key": POS_KEY}
    )
    assert impostor.status_code == 422
    assert "is partner coffee's" in impostor.text
    month = datetime.now(UTC).strftime("%Y-%m")

    async def ours() -> dict[str, Any]:
        r = await client.get(
            "/v1/partners/coffee/settlement", params={"month": month}, headers=COFFEE
        )
        assert r.status_code == 200, r.text
        found: dict[str, Any] = r.json()
        return found

    def our_rule(found: dict[str, Any]) -> dict[str, Any]:
        return next((r for r in found["rules"] if r["rule_id"] == f"coffee-{run}"), {})

    found = await eventually(ours, lambda f: our_rule(f).get("awarded") == 45, what="settled")
    assert our_rule(found) == {"rule_id": f"coffee-{run}", "awarded": 45, "taken_back": 0}
    assert found["points_net"] == found["points_awarded"] - found["points_taken_back"]
    assert found["reconciliation"]["partners"] >= 45
    program = found["reconciliation"]
    assert program["partners"] + program["program"] == program["issued"]
    # Another partner's key reads nothing of it; the program's analysts read it, as CSV too.
    other = await client.get(
        "/v1/partners/coffee/settlement", params={"month": month}, headers={"X-API-Key": BANK_KEY}
    )
    assert other.status_code == 403
    table = await client.get(
        "/v1/partners/coffee/settlement",
        params={"month": month, "format": "csv"},
        headers={"X-API-Key": ANALYST_KEY},
    )
    assert table.status_code == 200
    assert f"coffee,{month},coffee-{run},45,0" in table.text
    # A partner's key is no admin's and no till's.
    assert (await client.get("/v1/partners", headers=COFFEE)).status_code == 403
    assert (
        await client.post(
            "/v1/events", json=purchase(members[0], "pos/1"), headers={"X-API-Key": BANK_KEY}
        )
    ).status_code == 403
