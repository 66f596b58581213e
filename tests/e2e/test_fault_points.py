"""Exactly once where it can break: each service dies (as kill -9 would) at each of its fault
points while a chunk of work is in flight, is restarted, and every purchase is still booked
once and told once.

The points (shared/faults.py): after a chunk's database commit and before its offsets are
committed (seen from the chunk policy and from the runtime), after the outbox relay published
a batch and before it deleted the rows, and after an email was sent and before it was
recorded (sent again, as the same message). The expected points are worked out by hand:
each purchase is one line of pantry goods under 300 DKK, paid at a till, three per member, so
only the base rule (1 point per whole krone) applies and no tier is reached."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import CloudEvent, new_event
from shared.faults import EXIT_CODE
from tests.apps import READER_KEY
from tests.e2e.handbook import settled
from tests.e2e.system import System, enrolment
from tests.kafka_helpers import read_all
from tests.polling import eventually

pytestmark = pytest.mark.e2e
WHEN = datetime.now(UTC) - timedelta(days=20)  # return windows long past: points available
POINTS = [
    ("rules", "after-db-commit"),
    ("rules", "before-offset-commit"),
    ("rules", "after-publish-before-delete"),
    ("ledger", "after-db-commit"),
    ("ledger", "before-offset-commit"),
    ("ledger", "after-publish-before-delete"),
    ("notifications", "after-db-commit"),
    ("notifications", "before-offset-commit"),
]


def purchases(run: str, members: int = 8, each: int = 3) -> tuple[list[CloudEvent], dict[str, int]]:
    events, expected = [], {}
    for m in range(members):
        member = f"fault-{run}-{m}"
        expected[member] = 0
        for n in range(each):
            total = Decimal(f"{17 + 31 * m + 53 * n}.{(m * 7 + n) % 100:02d}")
            expected[member] += int(total)  # 1 point per whole krone, by hand
            data: dict[str, Any] = {
                "purchase_id": f"{member}-{n}",
                "channel": "pos",
                "currency": "DKK",
                "total": str(total),
                "lines": [
                    {"sku": "flour", "category": "pantry", "quantity": 1, "unit_price": str(total)}
                ],
            }
            events.append(
                new_event(
                    id=str(uuid.uuid4()),
                    source="pos/fault",
                    type="purchase.completed",
                    subject=member,
                    data=data,
                    time=WHEN + timedelta(minutes=n),
                )
            )
    return events, expected


@pytest.mark.parametrize(("service", "point"), POINTS)
async def test_a_service_dying_at_a_fault_point_loses_and_doubles_nothing(
    system: System, service: str, point: str
) -> None:
    await system.wait_ready()
    system.kill(service)
    # Armed: the first chunk (or outbox batch) it handles is its last, its work half done.
    system.spawn(service, POINTSTREAM_FAULT=point)
    events, expected = purchases(uuid.uuid4().hex[:6])
    await system.send(events[: len(events) // 2])

    async def exit_code() -> int | None:
        return system.processes[service].poll()

    code = await eventually(exit_code, lambda c: c is not None, timeout=60, what=f"{point} hit")
    assert code == EXIT_CODE, f"{service} exited with {code}, not at the fault point"
    system.spawn(service)
    await system.wait_ready()
    await system.send(events[len(events) // 2 :])

    reader = {"X-API-Key": READER_KEY}
    async with httpx.AsyncClient(timeout=10, headers=reader) as client:
        await eventually(
            lambda: system.balances(sorted(expected)),
            lambda got: got == settled(expected),
            timeout=90,
            what="every purchase booked",
        )

        async def told() -> dict[str, int]:
            counts = {}
            for member in expected:
                page = (
                    await client.get(f"{system.urls['notifications']}/v1/members/{member}/inbox")
                ).json()
                counts[member] = sum(m["kind"] == "points_earned" for m in page["messages"])
            return counts

        await eventually(
            told, lambda got: got == dict.fromkeys(expected, 3), timeout=60, what="told once each"
        )
        for member in expected:  # one entry per purchase: none booked twice
            page = (await client.get(f"{system.urls['ledger']}/v1/members/{member}/entries")).json()
            assert [e["kind"] for e in page["entries"]] == ["earn"] * 3
    assert await read_all(system.kafka, system.kafka.topics.dead_letter) == []


def a_zone_where_it_is_midday() -> str:
    """An IANA zone whose local time is now between 10:00 and 18:00: outside quiet hours."""
    hour = datetime.now(UTC).hour
    offset = (13 - hour + 12) % 24 - 12  # UTC offset that puts the local hour near 13
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def test_an_email_sent_before_the_sender_died_is_sent_again_as_the_same_message(
    system: System,
) -> None:
    """SMTP cannot be made exactly-once: a mail server that accepted a message before the
    notifications replica died, unrecorded, gets it again. It is the same message (the same
    Message-ID, which mail systems de-duplicate by), and the delivery is recorded once."""
    await system.wait_ready()
    system.kill("notifications")
    lease = {"NOTIFICATIONS_DELIVERY_LEASE_SECONDS": "3"}
    system.spawn("notifications", POINTSTREAM_FAULT="after-send-before-record", **lease)
    member = f"fault-mail-{uuid.uuid4().hex[:6]}"
    address = f"{member}@example.dk"
    enrolled = enrolment(
        member,
        language="da",
        timezone=a_zone_where_it_is_midday(),
        email=address,
        consents={"email": True},
    )
    await system.send([enrolled])

    async def exit_code() -> int | None:
        return system.processes["notifications"].poll()

    code = await eventually(exit_code, lambda c: c is not None, timeout=60, what="send, then die")
    assert code == EXIT_CODE
    assert len(system.mailbox.to(address)) == 1  # the server had it when the sender died
    system.spawn("notifications", **lease)
    await system.wait_ready("notifications")

    [delivery] = await eventually(
        lambda: system.deliveries(member),
        lambda found: [d["status"] for d in found] == ["sent"],
        timeout=60,
        what="the email recorded as sent",
    )
    mails = system.mailbox.to(address)
    assert len(mails) == 2  # once before the crash, once after: never lost
    assert {m["Message-ID"] for m in mails} == {f"<{delivery['delivery_id']}@pointstream>"}
    assert {m["Subject"] for m in mails} == {"Velkommen! Du har optjent 100 point"}
