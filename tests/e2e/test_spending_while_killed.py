"""Tills spending concurrently while the ledger is killed: each spend once, the stock never
below zero, the books settled."""

import asyncio
import uuid

import httpx
import pytest

from shared.faults import EXIT_CODE
from tests.apps import ADMIN_KEY, READER_KEY
from tests.e2e.system import System
from tests.e2e.test_spending_under_failure import redeem
from tests.polling import eventually

pytestmark = pytest.mark.e2e


MUG = {  # a small reward with a small stock, so that the stock runs out under the load
    "id": "e2e-mug",
    "kind": "free_product",
    "cost_points": 50,
    "names": {"en": "A mug", "da": "Et krus", "sv": "En mugg"},
    "stock": 6,
}


async def test_tills_spending_concurrently_while_the_ledger_is_killed_spend_each_once(
    system: System,
) -> None:
    """Eight members, each with 200 points; tills redeem mugs (50 points, 6 in stock) and pay
    with points (30) for them concurrently, 48 requests, while the ledger is killed -9 once
    and then dies after committing a spending it never answers. Each till retries on
    timeouts, dropped connections and 5xx with the request's idempotency key until it gets an
    answer. Every accepted spending is spent once, every refused one not at all, no balance
    goes below zero, and the stock is exact."""
    run = uuid.uuid4().hex[:6]
    members = [f"busy-{run}-{n}" for n in range(8)]
    ledger = system.urls["ledger"]
    async with httpx.AsyncClient(timeout=5) as client:
        admin = {"X-API-Key": ADMIN_KEY}
        saved = await client.put(f"{ledger}/v1/admin/rewards/e2e-mug", json=MUG, headers=admin)
        assert saved.status_code == 200, saved.text
        for member in members:
            given = await client.post(
                f"{ledger}/v1/admin/members/{member}/adjustments",
                json={"adjustment_id": f"start-{member}", "points": 200, "reason": "test start"},
                headers=admin,
            )
            assert given.status_code == 201, given.text

        answered, retries = [0], [0]

        async def spend(member: str, n: int) -> tuple[str, int, int]:
            """(member, points spent if accepted else 0, 1 if a mug) after retries."""
            try:
                return await answer(member, n)
            finally:
                answered[0] += 1

        async def answer(member: str, n: int) -> tuple[str, int, int]:
            mug = n % 2 == 0
            body = {"reward_id": "e2e-mug"} if mug else {"points": 30, "description": "coffee"}
            key, deadline = f"till-{member}-{n}", asyncio.get_running_loop().time() + 90
            while True:
                try:
                    r = await redeem(client, ledger, member, key, body)
                    if r.status_code in (200, 201):
                        return member, r.json()["points"], int(mug)
                    if r.status_code == 409:
                        return member, 0, 0
                    assert r.status_code >= 500, r.text  # anything else is a wrong answer
                except httpx.TransportError:
                    pass  # the ledger died or is starting again: retry with the same key
                retries[0] += 1
                assert asyncio.get_running_loop().time() < deadline, f"{key}: no answer"
                await asyncio.sleep(0.2)

        async def kill_twice() -> None:
            """kill -9 once 8 of the 48 have their answer; the ledger started again dies by
            itself after committing its third spending, before answering; then it runs."""
            for after, fault in ((8, {"POINTSTREAM_FAULT": "after-redemption-commit:3"}), (0, {})):

                def enough(n: int, after: int = after) -> bool:
                    return n >= after

                await eventually(lambda: _value(answered[0]), enough, what="answers")
                if fault:
                    system.kill("ledger")
                else:
                    assert await system.died("ledger") == EXIT_CODE
                system.spawn("ledger", **fault)

        limit = asyncio.Semaphore(8)

        async def limited(member: str, n: int) -> tuple[str, int, int]:
            async with limit:
                return await spend(member, n)

        killer = asyncio.create_task(kill_twice())
        outcomes = await asyncio.gather(*(limited(m, n) for m in members for n in range(6)))
        await killer
        await system.wait_ready("ledger")
        assert retries[0] > 0  # the tills did meet the dead ledger

        spent = {m: sum(p for who, p, _ in outcomes if who == m) for m in members}
        mugs = sum(mug for _, _, mug in outcomes)
        balances = await system.balances(members)
        for member in members:
            assert balances[member]["lifetime_redeemed"] == spent[member], member
            assert balances[member]["available"] == 200 - spent[member] >= 0, member
        assert mugs == MUG["stock"]  # 24 asked for, 6 in stock: exactly 6 given
        reader = {"X-API-Key": READER_KEY}
        offers = await client.get(f"{ledger}/v1/members/{members[0]}/rewards", headers=reader)
        assert next(r for r in offers.json() if r["reward_id"] == "e2e-mug")["stock_left"] == 0
        vouchers = 0
        for member in members:
            r = await client.get(f"{ledger}/v1/members/{member}/vouchers", headers=reader)
            vouchers += sum(v["reward_id"] == "e2e-mug" for v in r.json())
        assert vouchers == mugs
        report = (await client.get(f"{ledger}/v1/admin/reconciliation", headers=admin)).json()
        assert report["ok"], report["mismatches"]


async def _value(value: int) -> int:
    return value
