"""Time, end to end: points wait out their return window and then expire, by the ledger's
scheduled jobs, with two ledger replicas running the jobs at once: each member's points
mature once and expire once, and they are told once each time."""

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import new_event
from tests.apps import ADMIN_KEY, READER_KEY
from tests.e2e.conftest import System
from tests.infra import REPO, free_port
from tests.polling import eventually

pytestmark = pytest.mark.e2e
LIVES = {"LEDGER_POINTS_EXPIRE_AFTER_DAYS": str(20 / 86_400)}  # points live 20 s, here


async def test_points_mature_then_expire_once_with_two_replicas_running_the_jobs(
    system: System,
) -> None:
    system.kill("ledger")
    system.spawn("ledger", **LIVES)
    port = free_port()
    with system.logs["ledger"].open("ab") as log:
        second = subprocess.Popen(
            [sys.executable, "-m", "services.ledger", "serve"],
            cwd=REPO,
            env={**system.env, **LIVES, "LEDGER_PORT": str(port)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        await system.wait_ready("ledger")
        run = uuid.uuid4().hex[:6]
        members = [f"time-{run}-{n}" for n in range(6)]
        # Bought 14 days ago less 10 s: the 14-day return window ends in 10 s.
        bought = datetime.now(UTC) - timedelta(days=14) + timedelta(seconds=10)
        await system.send(
            [
                new_event(
                    id=f"time-{member}",
                    source="pos/time",
                    type="purchase.completed",
                    subject=member,
                    time=bought,
                    data={
                        "purchase_id": f"r-{member}",
                        "channel": "pos",
                        "currency": "DKK",
                        "total": "100.00",
                        "lines": [
                            {
                                "sku": "oats",
                                "category": "pantry",
                                "quantity": 1,
                                "unit_price": "100.00",
                            }
                        ],
                    },
                )
                for member in members
            ]
        )
        ledger = system.urls["ledger"]
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:

            async def balances() -> list[tuple[Any, Any, Any]]:
                found = []
                for member in members:
                    r = await client.get(f"{ledger}/v1/members/{member}/balance")
                    b = r.json() if r.status_code == 200 else {}
                    found.append((b.get("pending"), b.get("available"), b.get("lifetime_earned")))
                return found

            await eventually(
                balances, lambda got: got == [(100, 0, 100)] * 6, what="pending at first"
            )
            await eventually(
                balances, lambda got: got == [(0, 100, 100)] * 6, what="matured", timeout=60
            )
            await eventually(
                balances, lambda got: got == [(0, 0, 100)] * 6, what="expired", timeout=90
            )
            for member in members:
                page = (await client.get(f"{ledger}/v1/members/{member}/entries")).json()
                kinds = sorted(e["kind"] for e in page["entries"])
                assert kinds == ["earn", "expire", "mature"], (member, kinds)

            async def told() -> list[list[str]]:
                found = []
                for member in members:
                    inbox = (
                        await client.get(
                            f"{system.urls['notifications']}/v1/members/{member}/inbox"
                        )
                    ).json()
                    found.append(sorted(m["kind"] for m in inbox["messages"]))
                return found

            kinds = await eventually(
                told,
                lambda got: all({"points_matured", "points_expired"} <= set(k) for k in got),
                what="told of both",
            )
            for member_kinds in kinds:
                assert member_kinds.count("points_matured") == 1
                assert member_kinds.count("points_expired") == 1
            report: dict[str, Any] = (
                await client.get(
                    f"{ledger}/v1/admin/reconciliation", headers={"X-API-Key": ADMIN_KEY}
                )
            ).json()
            assert report["ok"], report["mismatches"]
    finally:
        second.terminate()
        second.wait(timeout=40)
        system.kill("ledger")
        system.spawn("ledger")
        await system.wait_ready("ledger")
