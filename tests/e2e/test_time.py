"""Time, end to end, by the ledger's scheduled jobs: points wait out their return window,
mature, are reminded of, held and released when the hold lapses, and expire. A ledger replica
dies in the middle of its maturing run (after one member's work is committed, before the
next's); then two replicas run the jobs at once. Each member's points mature once, are
released once and expire once, and the member is told once each time."""

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from shared.contracts.envelope import new_event
from shared.faults import EXIT_CODE
from tests.apps import ADMIN_KEY, READER_KEY, TILL_KEY
from tests.e2e.system import System
from tests.infra import REPO, free_port
from tests.polling import eventually

pytestmark = pytest.mark.e2e
LIVES = {"LEDGER_POINTS_EXPIRE_AFTER_DAYS": str(45 / 86_400)}  # points live 45 s, here
MEMBERS = 6


def purchase(member: str, bought: datetime) -> Any:
    return new_event(
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
            "lines": [{"sku": "oats", "category": "pantry", "quantity": 1, "unit_price": "100.00"}],
        },
    )


async def _matured_in_the_database(url: str, members: list[str]) -> int:
    """How many of the members have their points available, read while the ledger is down."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM balances WHERE member_id = ANY($1) AND available = 100", members
        )
        return found
    finally:
        await conn.close()


async def test_points_mature_are_held_released_and_expire_once_across_a_crash_and_two_replicas(
    system: System,
) -> None:
    system.kill("ledger")
    system.spawn("ledger", **LIVES, POINTSTREAM_FAULT="after-job-step:3")
    second: subprocess.Popen[bytes] | None = None
    try:
        await system.wait_ready("ledger")
        run = uuid.uuid4().hex[:6]
        members = [f"time-{run}-{n}" for n in range(MEMBERS)]
        # Bought 14 days ago less 10 s: the 14-day return window ends in 10 s.
        bought = datetime.now(UTC) - timedelta(days=14) + timedelta(seconds=10)
        await system.send([purchase(member, bought) for member in members])
        ledger = system.urls["ledger"]

        async def balances() -> list[tuple[Any, ...]]:
            found = await system.balances(members)
            return [(b.get("pending"), b.get("available"), b.get("held")) for b in found.values()]

        await eventually(
            balances, lambda got: got == [(100, 0, 0)] * MEMBERS, what="pending at first"
        )
        # The maturing run: the replica dies after committing its third member's work.
        assert await system.died("ledger") == EXIT_CODE
        matured = await _matured_in_the_database(system.env["LEDGER_DATABASE_URL"], members)
        assert matured == 3  # three matured, the others still waiting
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
        await system.wait_ready("ledger")
        await eventually(
            balances, lambda got: got == [(0, 100, 0)] * MEMBERS, what="matured", timeout=60
        )
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": TILL_KEY}) as client:
            for member in members:  # a web shop holds 40 points for 2 s and never settles
                r = await client.post(
                    f"{ledger}/v1/members/{member}/redemptions",
                    json={"points": 40, "description": "a cart left behind", "hold_seconds": 2},
                    headers={"Idempotency-Key": f"cart-{member}"},
                )
                assert r.status_code == 201, r.text
        await eventually(
            balances, lambda got: got == [(0, 100, 0)] * MEMBERS, what="holds released"
        )
        await eventually(
            balances, lambda got: got == [(0, 0, 0)] * MEMBERS, what="expired", timeout=90
        )
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": READER_KEY}) as client:
            for member in members:
                page = (await client.get(f"{ledger}/v1/members/{member}/entries")).json()
                kinds = sorted(e["kind"] for e in page["entries"])
                assert kinds == ["earn", "expire", "hold", "mature", "release"], (member, kinds)

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

            expected = {"points_matured", "points_expiring", "points_expired"}
            kinds_told = await eventually(
                told, lambda got: all(expected <= set(k) for k in got), what="told of each"
            )
            for member_kinds in kinds_told:
                for kind in expected:
                    assert member_kinds.count(kind) == 1, member_kinds
            report: dict[str, Any] = (
                await client.get(
                    f"{ledger}/v1/admin/reconciliation", headers={"X-API-Key": ADMIN_KEY}
                )
            ).json()
            assert report["ok"], report["mismatches"]
    finally:
        if second is not None:
            second.terminate()
            second.wait(timeout=40)
        system.kill("ledger")
        system.spawn("ledger")
        await system.wait_ready("ledger")
