"""The running system the end-to-end tests drive: its three services as processes, their
URLs, logs and settings, and what the tests ask of it."""

import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shared.contracts.envelope import CloudEvent, new_event
from shared.kafka.producer import EventProducer, OutgoingMessage
from shared.settings import KafkaSettings
from tests import apps
from tests.e2e.handbook import settled
from tests.infra import REPO
from tests.polling import eventually
from tests.smtp import Mailbox

SERVICES = ("rules", "ledger", "notifications")


def enrolment(member: str, **profile: Any) -> CloudEvent:
    """A till's ``member.enrolled`` for ``member``: the welcome's 100 points, and the profile."""
    return new_event(
        id=f"enrol-{member}",
        source="pos/e2e",
        type="member.enrolled",
        subject=member,
        data={"channel": "pos", **profile},
    )


@dataclass
class System:
    urls: dict[str, str]
    kafka: KafkaSettings
    processes: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]
    env: dict[str, str]
    mailbox: Mailbox = field(default_factory=Mailbox)

    def spawn(self, service: str, **env: str) -> None:
        """Start the service (again); ``env`` adds settings for this process only, e.g.
        ``POINTSTREAM_FAULT`` to arm a fault point."""
        with self.logs[service].open("ab") as log:  # the child keeps its own copy of the handle
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}", "serve", "--migrate"],
                cwd=REPO,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def send(self, events: list[CloudEvent]) -> None:
        """Write events to the input topic, as a till's Kafka producer would."""
        producer = EventProducer(self.kafka, client_id="e2e-till")
        await producer.start()
        try:
            await producer.send(
                [
                    OutgoingMessage(
                        topic=self.kafka.topics.events, key=e.subject.encode(), value=e.to_bytes()
                    )
                    for e in events
                ]
            )
        finally:
            await producer.stop()

    async def deliveries(self, member: str) -> list[dict[str, Any]]:
        """The member's email and push deliveries, from the notifications' admin API."""
        async with httpx.AsyncClient(timeout=5, headers={"X-API-Key": apps.ADMIN_KEY}) as client:
            r = await client.get(
                f"{self.urls['notifications']}/v1/admin/deliveries", params={"member_id": member}
            )
        r.raise_for_status()
        found: list[dict[str, Any]] = r.json()
        return found

    async def balances(self, members: list[str]) -> dict[str, dict[str, int]]:
        """Each member's whole balance from the ledger's API, as a mobile app reads it."""
        fields = ("available", "pending", "held", "lifetime_earned", "lifetime_redeemed")
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": apps.READER_KEY}) as c:
            found = {}
            for member in members:
                r = await c.get(f"{self.urls['ledger']}/v1/members/{member}/balance")
                found[member] = {f: r.json()[f] for f in fields} if r.status_code == 200 else {}
            return found

    async def books_settle(self, net: dict[str, int], timeout: float = 180) -> None:
        """Waits until every member's whole balance is what the handbook says (``net``)."""
        await eventually(
            lambda: self.balances(sorted(net)),
            lambda got: got == settled(net),
            timeout=timeout,
            interval=1,
            what="every member's points as the rules define them",
        )

    async def earnings_told(self, members: list[str]) -> Counter[str]:
        """How many `points_earned` messages each member's inbox holds."""
        told: Counter[str] = Counter()
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": apps.READER_KEY}) as c:
            for member in members:
                r = await c.get(
                    f"{self.urls['notifications']}/v1/members/{member}/inbox",
                    params={"limit": 200},
                )
                told[member] = sum(m["kind"] == "points_earned" for m in r.json()["messages"])
        return told

    async def all_told(self, earnings: Counter[str]) -> Counter[str]:
        """The members' earning messages once each has at least one per earning (then the
        caller compares: one more would be a message told twice)."""
        told: Counter[str] = await eventually(
            lambda: self.earnings_told(sorted(earnings)),
            lambda got: all(got[m] >= n for m, n in earnings.items()),
            timeout=60,
            what="a message per earning",
        )
        return told

    async def died(self, service: str, timeout: float = 60) -> int:
        """Waits for the service's process to exit (at a fault point); its exit code."""
        code: int | None = await eventually(
            self._exit_code(service), lambda c: c is not None, timeout=timeout, what="an exit"
        )
        assert code is not None
        return code

    def _exit_code(self, service: str) -> Callable[[], Awaitable[int | None]]:
        async def poll() -> int | None:
            return self.processes[service].poll()

        return poll

    def kill(self, service: str) -> None:
        """kill -9: no shutdown, no commit, no goodbye."""
        self.processes[service].kill()
        self.processes[service].wait()

    async def wait_ready(self, *services: str) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            for service in services or SERVICES:
                url, process = self.urls[service], self.processes[service]

                async def ready(url: str = url, process: subprocess.Popen[bytes] = process) -> bool:
                    return await ready_or_exited(client, url, process)

                await eventually(ready, bool, timeout=90, interval=0.3, what=f"{service} ready")


async def ready_or_exited(
    client: httpx.AsyncClient, url: str, process: subprocess.Popen[bytes]
) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"{url} exited with {process.returncode}")
    try:
        return (await client.get(f"{url}/readyz")).status_code == 200
    except httpx.TransportError:
        return False
