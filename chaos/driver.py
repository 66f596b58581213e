"""Drives the workload into the running system as tills, a web shop and an app would: each
step by its route (HTTP ingest in structured, batched or binary mode, or straight to Kafka),
a member's steps one after another (as one till serves one customer) and many members at
once, paced over the run. A step that fails for a reason that is not the request's (a replica
killed, a broker lost, the database down) is retried, on the other replica, with the same id
or idempotency key, as a till would; a redemption and a voucher use are also sent twice on
purpose. What each step got is kept for the oracle."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from chaos.system import ChaosSystem
from chaos.workload import Step
from tests import apps

logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # a lost broker is the plan
RETRY_FOR = 300.0  # seconds a till keeps trying one step
KAFKA_SEND_FOR = 30.0  # seconds one send to Kafka may take before it is tried again
IN_FLIGHT = 48  # steps under way at once (different members), unless told
TILL_CONNECTIONS = 16  # connections each till's client keeps
SUSPECT_FOR = 5.0  # seconds a replica that did not answer is tried last (a balancer's check)


@dataclass
class Outcome:
    status: int  # the final answer's status; 0 when the step never got one
    body: Any = None
    attempts: int = 0


@dataclass
class Drive:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    retries: int = 0
    early_returns: int = 0  # returns refused as their purchase was not yet recorded, retried
    seconds: float = 0.0


class Refused(Exception):
    """The request itself was refused (4xx): a till would not send it again."""


def _headers(step: Step) -> tuple[dict[str, str], bytes]:
    event = step.message
    if step.route == "structured":
        return {"content-type": "application/cloudevents+json"}, json.dumps(event).encode()
    if step.route == "batch":
        return {"content-type": "application/cloudevents-batch+json"}, json.dumps([event]).encode()
    headers = {f"ce-{k}": str(v) for k, v in event.items() if k not in ("data", "datacontenttype")}
    headers["content-type"] = "application/json"
    return headers, json.dumps(event["data"]).encode()


class Driver:
    def __init__(self, system: ChaosSystem, rate: float, in_flight: int = IN_FLIGHT) -> None:
        self.system = system
        self.rate = rate
        self.in_flight = in_flight
        self.suspect: dict[str, float] = {}  # replica's url -> until when it is tried last
        self.replaced_producers: list[AIOKafkaProducer] = []
        self.drive = Drive()
        # Many tills, each with its own few connections (one client's pool for every step
        # under way spent the driver's CPU matching requests to hundreds of connections).
        self.tills = [
            httpx.AsyncClient(
                timeout=httpx.Timeout(20, connect=3),
                limits=httpx.Limits(max_connections=TILL_CONNECTIONS),
            )
            for _ in range(max(1, in_flight // TILL_CONNECTIONS * 2))
        ]
        self.producer = self._producer()

    def _producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.system.cluster.bootstrap,
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=20_000,
        )

    async def _send(self, event: dict[str, Any]) -> None:
        """One event onto the events topic, as a producing till would; a send that has not
        finished in KAFKA_SEND_FOR seconds is given up, and the producer replaced (aiokafka's
        can wait forever on a batch a lost broker had: aio-libs/aiokafka#1101); the step is
        sent again with the same id, which the rules take once."""
        producer = self.producer
        try:
            await asyncio.wait_for(
                producer.send_and_wait(
                    f"{self.system.topic_prefix}loyalty.events.v1",
                    json.dumps(event).encode(),
                    key=str(event["subject"]).encode(),
                ),
                KAFKA_SEND_FOR,
            )
        except TimeoutError:
            if self.producer is producer:
                self.producer = self._producer()
                await self.producer.start()
                self.replaced_producers.append(producer)
            raise

    async def run(self, steps: Iterable[Step]) -> Drive:
        await self.producer.start()
        started = time.monotonic()
        last: dict[str, asyncio.Task[None]] = {}  # each member's latest step
        by_number: dict[int, asyncio.Task[None]] = {}
        running: set[asyncio.Task[None]] = set()
        try:
            for step in steps:
                while len(running) >= self.in_flight:
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                wait = started + step.number / self.rate - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                before = (last.get(step.member), by_number.get(step.refers_to or -1))
                task = asyncio.create_task(self._after([t for t in before if t], step))
                running.add(task)
                task.add_done_callback(running.discard)
                by_number[step.number] = task
                if step.member:
                    last[step.member] = task
            await asyncio.gather(*running)
        finally:
            for producer in [self.producer, *self.replaced_producers]:
                with contextlib.suppress(TimeoutError):  # (one that hung may hang stopping)
                    await asyncio.wait_for(producer.stop(), KAFKA_SEND_FOR)
            for till in self.tills:
                await till.aclose()
        self.drive.seconds = time.monotonic() - started
        return self.drive

    async def _after(self, before: list[asyncio.Task[None]], step: Step) -> None:
        for task in before:
            await asyncio.shield(task)
        self.drive.outcomes[step.number] = await self._retried(step)

    async def _retried(self, step: Step) -> Outcome:
        deadline = time.monotonic() + RETRY_FOR
        attempt = 0
        while True:
            attempt += 1
            try:
                status, body = await self._once(step, attempt)
                return Outcome(status, body, attempt)
            except Refused as refused:
                status, body = refused.args
                returned = step.message.get("type") == "purchase.returned"  # (or its repeat)
                if returned and "no purchase" in str(body):
                    # The purchase is taken but not yet recorded by the rules (a return right
                    # behind its purchase, or while the rules catch up; a return sent again
                    # before its first copy, sent on Kafka, was): the till asks again.
                    self.drive.early_returns += 1
                    if time.monotonic() < deadline:
                        await asyncio.sleep(1)
                        continue
                return Outcome(status, body, attempt)
            except (httpx.HTTPError, OSError, RuntimeError, KafkaError, TimeoutError) as failed:
                if time.monotonic() > deadline:
                    return Outcome(0, repr(failed), attempt)
                self.drive.retries += 1
                await asyncio.sleep(min(0.2 * attempt, 3))

    async def _once(self, step: Step, attempt: int) -> tuple[int, Any]:
        if step.route == "kafka" and step.kind not in ("redemption", "voucher_use", "erasure"):
            await self._send(step.message)
            return 200, None
        if step.kind == "redemption":
            return await self._twice(
                step, attempt, "ledger", f"/v1/members/{step.member}/redemptions"
            )
        if step.kind == "voucher_use":
            redeemed = self.drive.outcomes.get(step.refers_to or -1)
            if redeemed is None or redeemed.status not in (200, 201):
                return 0, "no voucher to use"  # its redemption was refused: nothing to do
            code = redeemed.body["voucher"]["code"]
            return await self._twice(step, attempt, "ledger", f"/v1/vouchers/{code}/use")
        if step.kind == "erasure":
            return await self._call(
                step, attempt, "rules", f"/v1/members/{step.member}/erasure", {}, apps.ADMIN_KEY
            )
        headers, body = _headers(step)
        url = self._replica("rules", step, attempt)
        r = await self._post(
            step, url, "/v1/events", content=body, headers=headers | {"X-API-Key": apps.POS_KEY}
        )
        return self._answer(r)

    def _replica(self, service: str, step: Step, attempt: int) -> str:
        """The replica to ask: the steps spread over both, and a retry goes to the other; one
        that did not answer lately is asked only when both did not (as a load balancer's
        health check would)."""
        urls = self.system.urls(service)
        url, other = urls[(step.number + attempt) % 2], urls[(step.number + attempt + 1) % 2]
        now = time.monotonic()
        if self.suspect.get(url, 0) > now >= self.suspect.get(other, 0):
            return other
        return url

    async def _post(self, step: Step, url: str, path: str, **request: Any) -> httpx.Response:
        till = self.tills[step.number % len(self.tills)]
        try:
            return await till.post(f"{url}{path}", **request)
        except httpx.TransportError:
            self.suspect[url] = time.monotonic() + SUSPECT_FOR
            raise

    async def _twice(self, step: Step, attempt: int, service: str, path: str) -> tuple[int, Any]:
        """A till that did not hear the answer asks again with the same key: the same answer."""
        key = apps.TILL_KEY if step.kind == "redemption" else apps.POS_KEY
        first = await self._call(step, attempt, service, path, step.message, key)
        again = await self._call(step, attempt + 1, service, path, step.message, key)
        if again[0] not in (200, 201) or first[0] not in (200, 201):
            return first if first[0] in (200, 201) else again
        if first[1].get("voucher", first[1]) != again[1].get("voucher", again[1]):
            raise Refused(599, {"retry answered differently": [first[1], again[1]]})
        return first

    async def _call(
        self, step: Step, attempt: int, service: str, path: str, body: Any, key: str
    ) -> tuple[int, Any]:
        url = self._replica(service, step, attempt)
        headers = {"X-API-Key": key}
        if step.key:
            headers["Idempotency-Key"] = step.key
        r = await self._post(step, url, path, json=body, headers=headers)
        return self._answer(r)

    @staticmethod
    def _answer(r: httpx.Response) -> tuple[int, Any]:
        if r.status_code >= 500 or r.status_code == 429:
            raise RuntimeError(f"{r.status_code}: {r.text[:200]}")  # not the request's fault
        try:
            body = r.json()
        except ValueError:
            body = r.text
        if r.status_code >= 400:
            raise Refused(r.status_code, body)
        return r.status_code, body
