"""The seeds' measures of loyalty in the program report, from events through ingest and the
rules' consumer on real Kafka and PostgreSQL: NPS, engagement, category breadth, an estimated
lifetime value per tier (with its formula), and the program over time for charts."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.apps import ADMIN_KEY, POS_KEY
from tests.polling import eventually

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
ADMIN = {"X-API-Key": ADMIN_KEY}
NOW = datetime.now(UTC) - timedelta(minutes=1)


def event(member: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "pos/1",
        "type": type_,
        "time": NOW.isoformat(),
        "subject": member,
        "data": data,
    }


def bought(member: str, *categories: str, price: str = "20.00") -> dict[str, Any]:
    lines = [
        {"sku": f"s-{c}", "category": c, "quantity": 1, "unit_price": price, "tags": []}
        for c in categories
    ]
    total = str(Decimal(price) * len(categories))
    return event(
        member,
        "purchase.completed",
        {
            "purchase_id": uuid.uuid4().hex[:8],
            "channel": "pos",
            "currency": "DKK",
            "total": total,
            "lines": lines,
        },
    )


def answered(member: str, activity: str, score: int | None = None) -> dict[str, Any]:
    return event(member, "member.activity", {"activity": activity, "score": score})


async def test_the_report_measures_loyalty_as_the_seeds_do(client: httpx.AsyncClient) -> None:
    run = uuid.uuid4().hex[:6]
    m1, m2, m3, m4, m5 = (f"{run}-{n}" for n in range(1, 6))
    events = [
        bought(m1, "dairy", "bakery", "produce"),
        bought(m1, "dairy"),
        bought(m2, "dairy"),
        bought(m3, "dairy", "bakery"),
        answered(m1, "nps_answer", 10),
        answered(m2, "nps_answer", 9),
        answered(m2, "review"),
        answered(m4, "nps_answer", 3),
        answered(m5, "nps_answer", 7),
    ]
    sent = await client.post("/v1/events", json=events, headers={"X-API-Key": POS_KEY})
    assert sent.status_code == 202, sent.text

    async def report() -> dict[str, Any]:
        found: dict[str, Any] = (await client.get("/v1/report?days=1", headers=ADMIN)).json()
        return found

    figures = await eventually(
        report,
        lambda r: r["purchases"]["count"] == 4 and r["loyalty"]["nps"]["answers"] == 4,
        timeout=60,
        what="every event decided",
    )
    loyalty = figures["loyalty"]
    assert loyalty["nps"] == {
        "score": 25,  # (2 promoters - 1 detractor) of 4 answers
        "answers": 4,
        "promoters": 2,
        "passives": 1,
        "detractors": 1,
    }
    assert loyalty["engagement"] == {"active_members": 5, "engaged_members": 4, "rate": 0.8}
    assert loyalty["category_breadth"] == {"1": 1, "2": 1, "3+": 1}
    [base] = loyalty["clv_by_tier"]
    assert base["tier"] == "base"
    assert base["active_members"] == 3
    assert base["average_basket"] == "35.00"  # 140 DKK over 4 purchases
    assert base["purchases_per_member"] == 1.33
    assert base["retention"] is None  # nobody bought the period before
    assert base["clv"] == "46.67"  # 35.00 * 4/3 * 1 period
    assert "1 / (1 - retention)" in loyalty["clv_formula"]
    assert figures["members"]["repeat_purchase_rate"] == pytest.approx(1 / 3)

    series = (await client.get("/v1/report/series?days=7&bucket=day", headers=ADMIN)).json()
    assert len(series["series"]) == 7
    today = series["series"][-1]
    assert today["from"] == NOW.date().isoformat()
    assert (today["purchases"], today["revenue"]) == (4, "140.00")
    assert (today["new_buyers"], today["returning_buyers"]) == (3, 0)
    assert today["points_by_driver"]["economic"] >= 140
    assert all(p["purchases"] == 0 for p in series["series"][:-1])
    weekly = (await client.get("/v1/report/series?days=14&bucket=week", headers=ADMIN)).json()
    assert {date.fromisoformat(p["from"]).weekday() for p in weekly["series"]} == {0}
    assert sum(p["purchases"] for p in weekly["series"]) == 4
    refused = await client.get("/v1/report/series?bucket=month", headers=ADMIN)
    assert refused.status_code == 422
