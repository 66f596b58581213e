"""Real shop data at the edges, through the running system (ingest → rules → ledger): two
stores that number receipts alike, purchases in other currencies than the program's (DKK), and
amounts larger than pointstream keeps. Expected points are worked out by hand from the default
pack: 1 point per whole DKK paid (base-earn), pending for the return window."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.apps import ADMIN_KEY, POS_KEY
from tests.e2e.system import System
from tests.polling import eventually

pytestmark = pytest.mark.e2e
NOW = datetime.now(UTC)
TWO_DAYS_AGO = NOW - timedelta(days=2)


def purchase(
    member: str,
    total: str,
    *,
    event_id: str | None = None,
    source: str = "pos/store-1",
    currency: str = "DKK",
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": "purchase.completed",
        "time": TWO_DAYS_AGO.isoformat(),
        "subject": member,
        "data": {
            "purchase_id": f"p-{uuid.uuid4().hex[:6]}",
            "channel": "pos",
            "currency": currency,
            "total": total,
            "lines": [{"sku": "loaf", "category": "bakery", "quantity": 1, "unit_price": total}],
        },
    }


def a_return(member: str, of: dict[str, Any], amount: str, currency: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": of["source"],
        "type": "purchase.returned",
        "time": (TWO_DAYS_AGO + timedelta(hours=1)).isoformat(),
        "subject": member,
        "data": {
            "return_id": "r-1",
            "original_event_id": of["id"],
            "currency": currency,
            "amount": amount,
        },
    }


async def ingest(system: System, body: object) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{system.urls['rules']}/v1/events", json=body, headers={"X-API-Key": POS_KEY}
        )


def reader(system: System, token: Callable[[str], str], member: str) -> Callable[..., Any]:
    async def read(what: str = "balance") -> Any:
        async with httpx.AsyncClient(
            timeout=5, headers={"Authorization": f"Bearer {token(member)}"}
        ) as http:
            r = await http.get(f"{system.urls['ledger']}/v1/members/{member}/{what}")
            r.raise_for_status()
            return r.json()

    return read


async def test_two_stores_numbering_receipts_alike_both_earn(
    system: System, member_token: Callable[[str], str]
) -> None:
    receipt = f"receipt-{uuid.uuid4().hex[:6]}"
    ann, ben = f"m-{uuid.uuid4().hex[:8]}", f"m-{uuid.uuid4().hex[:8]}"
    store_1 = purchase(ann, "100.00", event_id=receipt, source="pos/store-1")
    store_2 = purchase(ben, "50.00", event_id=receipt, source="pos/store-2")
    assert (await ingest(system, store_1)).status_code == 202
    assert (await ingest(system, store_2)).status_code == 202
    assert (await ingest(system, store_1)).status_code == 202  # store 1's again: a repeat
    await eventually(
        reader(system, member_token, ben), lambda b: b["pending"] == 50, what="ben's points"
    )
    # A marker after ann's repeat: once it shows, the repeat was handled (as nothing).
    assert (await ingest(system, purchase(ann, "7.00", source="pos/store-1"))).status_code == 202
    balance = await eventually(
        reader(system, member_token, ann), lambda b: b["pending"] >= 107, what="ann's points"
    )
    assert balance["pending"] == 107


async def test_a_purchase_in_another_currency_counts_at_the_rate_of_its_day(
    system: System, member_token: Callable[[str], str]
) -> None:
    admin = {"X-API-Key": ADMIN_KEY}
    rules = system.urls["rules"]
    member = f"m-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(timeout=10, headers=admin) as http:
        before = (await http.get(f"{rules}/v1/report", params=_period())).json()
        # No IDR rate: refused at ingest, naming the currency, not counted as kroner.
        refused = await ingest(system, purchase(member, "1000000", currency="IDR"))
        assert refused.status_code == 422
        [error] = refused.json()["errors"][0]["errors"]
        assert error["loc"] == ["data", "currency"]
        assert "no exchange rate from IDR to DKK" in error["msg"]

        # A central bank's reference rates (units per euro): SEK in kroner through the euro.
        day = TWO_DAYS_AGO.date().isoformat()
        csv = f"Date,USD,SEK,DKK,\n{day},1.05,11.3,7.458,\n"
        loaded = await http.post(
            f"{rules}/v1/exchange-rates/csv", content=csv, headers={"Content-Type": "text/csv"}
        )
        assert loaded.status_code == 200, loaded.text
        assert loaded.json() == {"program_currency": "DKK", "set": 3}  # USD, SEK, EUR
        rates = (await http.get(f"{rules}/v1/exchange-rates", params={"currency": "SEK"})).json()
        assert rates["rates"][0]["rate"] == "0.66"  # 7.458 / 11.3
        # Corrected by hand, as a manager would: 1 SEK = 0.6602 DKK.
        put = await http.put(
            f"{rules}/v1/exchange-rates",
            json={"rates": [{"currency": "SEK", "day": day, "rate": "0.6602"}]},
        )
        assert put.status_code == 200, put.text

    # 230.40 SEK x 0.6602 = 152.11008: 152.11 DKK, 152 points.
    bought = purchase(member, "230.40", currency="SEK")
    assert (await ingest(system, bought)).status_code == 202
    read = reader(system, member_token, member)
    await eventually(read, lambda b: b["pending"] == 152, what="points in kroner")
    [entry] = (await read("entries"))["entries"]
    assert "230.40 SEK = 152.11 DKK" in entry["explanation"]

    # Half of it back, in kronor, at the purchase's rate: 76 points.
    assert (await ingest(system, a_return(member, bought, "115.20", "SEK"))).status_code == 202
    await eventually(read, lambda b: b["pending"] == 76, what="the return taken back")
    entries = (await read("entries"))["entries"]
    assert "115.20 SEK = 76.06 DKK" in entries[0]["explanation"]

    # The report's revenue is in kroner: half of 152.11 (the other half returned), to the cent.
    async with httpx.AsyncClient(timeout=10, headers=admin) as http:

        async def report() -> dict[str, Any]:
            answer: dict[str, Any] = (await http.get(f"{rules}/v1/report", params=_period())).json()
            return answer

        after = await eventually(
            report,
            lambda r: r["purchases"]["count"] > before["purchases"]["count"],
            what="the report counts the purchase",
        )
    grew = float(after["purchases"]["revenue"]) - float(before["purchases"]["revenue"])
    assert round(grew, 2) == 76.06


async def test_an_amount_larger_than_pointstream_keeps_is_refused_at_ingest(
    system: System,
) -> None:
    member = f"m-{uuid.uuid4().hex[:8]}"
    refused = await ingest(system, purchase(member, "99999999999999.9999"))
    assert refused.status_code == 422
    locs = [e["loc"] for e in refused.json()["errors"][0]["errors"]]
    assert ["data", "total"] in locs


def _period() -> dict[str, int]:
    return {"days": 7}
