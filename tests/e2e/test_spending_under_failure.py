"""Spending when things fail: a till that never heard the ledger's answer (it died after
committing) retries with its idempotency key and gets the same redemption and voucher, the
points spent once; a hold's capture retried after the same crash captures once; two tills
spending the same points at two ledger replicas at once get one yes and one no."""

import asyncio
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest

from shared.faults import EXIT_CODE
from tests.apps import POS_KEY, READER_KEY, TILL_KEY
from tests.e2e.system import System, enrolment
from tests.infra import REPO, free_port
from tests.polling import eventually

pytestmark = pytest.mark.e2e
TREE = "plant-a-tree"  # 100 points: the welcome's


async def enrolled(system: System, client: httpx.AsyncClient, member: str) -> None:
    """A member with the welcome's 100 points available."""
    await system.send([enrolment(member)])

    async def balance() -> dict[str, Any]:
        r = await client.get(f"{system.urls['ledger']}/v1/members/{member}/balance")
        return dict(r.json()) if r.status_code == 200 else {}

    await eventually(balance, lambda b: b.get("available") == 100, what="welcome points")


def redeem(client: httpx.AsyncClient, url: str, member: str, key: str, body: dict[str, Any]) -> Any:
    return client.post(
        f"{url}/v1/members/{member}/redemptions",
        json=body,
        headers={"X-API-Key": TILL_KEY, "Idempotency-Key": key},
    )


async def test_a_till_that_never_heard_the_answer_retries_and_spends_once(
    system: System,
) -> None:
    member = f"spend-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:
        await enrolled(system, client, member)
        system.kill("ledger")
        system.spawn("ledger", POINTSTREAM_FAULT="after-redemption-commit")
        await system.wait_ready("ledger")
        body = {"reward_id": "plant-a-tree"}
        with pytest.raises(httpx.TransportError):  # the ledger died before it answered
            await redeem(client, system.urls["ledger"], member, "till-7-0042", body)
        assert await system.died("ledger") == EXIT_CODE
        system.spawn("ledger")
        await system.wait_ready("ledger")

        retried = await redeem(client, system.urls["ledger"], member, "till-7-0042", body)
        assert retried.status_code == 200, retried.text  # a replay: it was done before the crash
        again = await redeem(client, system.urls["ledger"], member, "till-7-0042", body)
        assert again.status_code == 200
        assert again.json()["voucher"]["code"] == retried.json()["voucher"]["code"]
        ledger = system.urls["ledger"]
        balance = (await client.get(f"{ledger}/v1/members/{member}/balance")).json()
        assert (balance["available"], balance["lifetime_redeemed"]) == (0, 100)
        vouchers = (await client.get(f"{ledger}/v1/members/{member}/vouchers")).json()
        assert [v["code"] for v in vouchers] == [retried.json()["voucher"]["code"]]


async def test_two_tills_spending_the_same_points_at_two_replicas_get_one_yes(
    system: System,
) -> None:
    member = f"spend-{uuid.uuid4().hex[:6]}"
    port = free_port()
    env = {**system.env, "LEDGER_PORT": str(port), "LEDGER_ROLES": "api"}
    with system.logs["ledger"].open("ab") as log:
        replica = subprocess.Popen(
            [sys.executable, "-m", "services.ledger", "serve"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    second = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:
            await enrolled(system, client, member)

            async def ready() -> bool:
                try:
                    return (await client.get(f"{second}/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, bool, timeout=60, what="second ledger replica ready")
            body = {"points": 80, "description": "paid with points at the till"}
            answers = await asyncio.gather(
                redeem(client, system.urls["ledger"], member, "till-1-0001", body),
                redeem(client, second, member, "till-2-0001", body),
            )
            assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
            balance = (
                await client.get(f"{system.urls['ledger']}/v1/members/{member}/balance")
            ).json()
            assert (balance["available"], balance["lifetime_redeemed"]) == (20, 80)
    finally:
        replica.terminate()
        replica.wait(timeout=40)


async def test_a_hold_captured_when_the_ledger_died_is_captured_once(system: System) -> None:
    """Two-phase: points held, then the capture commits and the ledger dies before answering;
    the retried capture (and a late release) change nothing more."""
    member = f"spend-{uuid.uuid4().hex[:6]}"
    ledger = system.urls["ledger"]
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:
        await enrolled(system, client, member)
        body = {"points": 60, "description": "a bike, held until it ships", "hold_seconds": 3600}
        held = await redeem(client, ledger, member, "shop-9-0007", body)
        assert held.status_code == 201, held.text
        redemption = held.json()["redemption_id"]
        system.kill("ledger")
        system.spawn("ledger", POINTSTREAM_FAULT="after-redemption-commit")
        await system.wait_ready("ledger")
        till = {"X-API-Key": TILL_KEY}
        capture = f"{ledger}/v1/members/{member}/redemptions/{redemption}/capture"
        with pytest.raises(httpx.TransportError):
            await client.post(capture, headers=till)
        assert await system.died("ledger") == EXIT_CODE
        system.spawn("ledger")
        await system.wait_ready("ledger")
        again = await client.post(capture, headers=till)
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "captured"
        late = await client.post(capture.replace("/capture", "/release"), headers=till)
        assert late.status_code == 409, late.text  # captured points are not given back
        balance = (await client.get(f"{ledger}/v1/members/{member}/balance")).json()
        assert (balance["available"], balance["held"], balance["lifetime_redeemed"]) == (40, 0, 60)


async def test_a_voucher_used_or_cancelled_when_the_ledger_died_is_so_once(
    system: System,
) -> None:
    """The till's retry of a use with its key is that use (200); another till's use of the
    same voucher is refused; a retried cancellation gives the points back once."""
    used, cancelled = (f"voucher-{uuid.uuid4().hex[:6]}" for _ in range(2))
    ledger, till = system.urls["ledger"], {"X-API-Key": TILL_KEY}
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:
        codes = {}
        for member in (used, cancelled):
            await enrolled(system, client, member)
            r = await redeem(client, ledger, member, f"app-{member}", {"reward_id": TREE})
            assert r.status_code == 201, r.text
            codes[member] = r.json()["voucher"]["code"]

        async def dies_answering(url: str, headers: dict[str, str], **kwargs: Any) -> None:
            system.kill("ledger")
            system.spawn("ledger", POINTSTREAM_FAULT="after-redemption-commit")
            await system.wait_ready("ledger")
            with pytest.raises(httpx.TransportError):
                await client.post(url, headers=headers, **kwargs)
            assert await system.died("ledger") == EXIT_CODE
            system.spawn("ledger")
            await system.wait_ready("ledger")

        def keyed(key: str) -> dict[str, str]:  # a shop's till using a voucher (ingest scope)
            return {"X-API-Key": POS_KEY, "Idempotency-Key": key}

        use = f"{ledger}/v1/vouchers/{codes[used]}/use"
        at_till = {"where": "store-12/till-3"}
        await dies_answering(use, keyed("till-3-0099"), json=at_till)
        retried = await client.post(use, json=at_till, headers=keyed("till-3-0099"))
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "used"
        other = await client.post(use, json=at_till, headers=keyed("till-3-0100"))
        assert other.status_code == 409, other.text  # a second basket: refused, saying why
        assert "already used" in other.json()["detail"]

        cancel = f"{ledger}/v1/vouchers/{codes[cancelled]}/cancel"
        await dies_answering(cancel, till)  # the member's app, through the retailer
        again = await client.post(cancel, headers=till)
        assert again.status_code == 200, again.text
        assert again.json()["status"] == "cancelled"
        balances = await system.balances([used, cancelled])
        assert (balances[used]["available"], balances[used]["lifetime_redeemed"]) == (0, 100)
        assert balances[cancelled]["available"] == 100  # given back once
        entries = (await client.get(f"{ledger}/v1/members/{cancelled}/entries")).json()
        assert sorted(e["kind"] for e in entries["entries"]) == ["earn", "redeem", "refund"]
