"""Balances are a read model of the entries: a damaged one is rebuilt from them; the ledger's
report figures add up to the balances."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import text

from shared.db import create_engine
from tests.apps import ALL_SCOPES_KEY, ANALYST_KEY, READER_KEY
from tests.integration.test_ledger_api import ADMIN, credit, redeem

pytestmark = [pytest.mark.integration, pytest.mark.serves("ledger")]


async def test_a_damaged_balance_is_rebuilt_from_the_entries(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, url = served
    anna, bo = f"anna-{uuid.uuid4().hex[:6]}", f"bo-{uuid.uuid4().hex[:6]}"
    await credit(client, anna, 300)
    await credit(client, anna, -120)
    await credit(client, bo, 50)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:  # what a bad manual fix or a bug could leave behind
            await conn.execute(
                text(
                    "UPDATE balances SET available = 999, lifetime_earned = 7 WHERE member_id = :m"
                ),
                {"m": anna},
            )
    finally:
        await engine.dispose()
    proof = (await client.get("/v1/admin/reconciliation", headers=ADMIN)).json()
    assert not proof["ok"]
    # The members' stored balances no longer net out with the program's accounts.
    assert not proof["books_balance"]

    rebuilt = (await client.post("/v1/admin/rebuild-balances", headers=ADMIN)).json()

    assert rebuilt == {"members": 2, "entries": 3, "rebuilt": 1}
    balance = (
        await client.get(f"/v1/members/{anna}/balance", headers={"X-API-Key": READER_KEY})
    ).json()
    assert (balance["available"], balance["lifetime_earned"]) == (
        180,
        0,
    )  # adjustments, not earnings
    proof = (await client.get("/v1/admin/reconciliation", headers=ADMIN)).json()
    assert proof["ok"]
    assert proof["books_balance"]
    again = (await client.post("/v1/admin/rebuild-balances", headers=ADMIN)).json()
    assert again["rebuilt"] == 0


async def test_the_report_counts_what_members_may_still_spend(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    before = (await client.get("/v1/admin/report", headers=ADMIN)).json()
    await credit(client, f"cy-{uuid.uuid4().hex[:6]}", 400)
    after = (await client.get("/v1/admin/report", headers=ADMIN)).json()
    assert after["outstanding"] - before["outstanding"] == 400
    assert after["available"] - before["available"] == 400
    assert 0 <= after["breakage_rate"] <= 1
    refused = await client.get("/v1/admin/report", headers={"X-API-Key": READER_KEY})
    assert refused.status_code == 403


async def test_points_redeemed_over_time_for_the_charts(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = served
    member = f"dy-{uuid.uuid4().hex[:6]}"
    await credit(client, member, 500)
    spent = await redeem(client, member, "k-1", {"points": 120, "description": "a cake"})
    assert spent.status_code == 201, spent.text
    series = (await client.get("/v1/admin/report/series?days=3", headers=ADMIN)).json()
    assert series["bucket"] == "day"
    assert [p["redeemed_points"] for p in series["series"]] == [0, 0, 120]
    assert series["series"][-1]["from"] == datetime.now(UTC).date().isoformat()
    weekly = (await client.get("/v1/admin/report/series?bucket=week", headers=ADMIN)).json()
    assert sum(p["redeemed_points"] for p in weekly["series"]) == 120


async def test_a_request_makes_its_key_act_with_no_more_than_it_asks(
    served: tuple[httpx.AsyncClient, str],
) -> None:
    """X-Scope-Limit: what the console does for every page; and reports:read alone reads the
    figures and nobody's data."""
    client, _ = served
    member = f"sl-{uuid.uuid4().hex[:6]}"
    await credit(client, member, 100)
    as_reports = {**ADMIN, "X-Scope-Limit": "reports:read"}
    assert (await client.get("/v1/admin/report", headers=as_reports)).status_code == 200
    refused = await client.post(
        f"/v1/admin/members/{member}/adjustments",
        headers=as_reports,
        json={"adjustment_id": uuid.uuid4().hex, "points": 5, "reason": "should not land"},
    )
    assert refused.status_code == 403
    assert "X-Scope-Limit (reports:read) leaves out the scope 'admin'" in refused.json()["detail"]
    # The balance's fast path honours the limit as the routes do.
    everything = {"X-API-Key": ALL_SCOPES_KEY}
    path = f"/v1/members/{member}/balance"
    assert (await client.get(path, headers=everything)).status_code == 200
    limited = await client.get(path, headers={**everything, "X-Scope-Limit": "reports:read"})
    assert limited.status_code == 403
    # Never more than the key has.
    asks_more = await client.get(
        "/v1/admin/report", headers={"X-API-Key": READER_KEY, "X-Scope-Limit": "reports:read"}
    )
    assert asks_more.status_code == 403
    analyst = {"X-API-Key": ANALYST_KEY}
    assert (await client.get("/v1/admin/report", headers=analyst)).status_code == 200
    assert (await client.get(path, headers=analyst)).status_code == 403
    balance = (await client.get(path, headers=everything)).json()
    assert balance["available"] == 100  # the refused adjustment changed nothing
