"""Exports cannot starve a service: a member's export reads the database in one go and gives
the connection back before the client has read a byte, so slow clients hold no pooled
connection; and at most MAX_EXPORTS run at once per replica, more get 429 with Retry-After."""

import asyncio
import uuid
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi import FastAPI

from services.ledger.bootstrap import build_app
from services.ledger.settings import LedgerSettings
from shared.export import MAX_EXPORTS
from shared.settings import KafkaSettings
from tests.apps import ADMIN_KEY, READER_KEY, auth_settings, serving
from tests.conftest import Databases
from tests.kafka_helpers import create_topics
from tests.polling import eventually

pytestmark = pytest.mark.integration
ADMIN = {"X-API-Key": ADMIN_KEY}


class SlowClient:
    """Asks for an export over plain ASGI and reads none of its body until let go."""

    def __init__(self, app: FastAPI, member: str, let_go: asyncio.Event) -> None:
        self.status: int | None = None
        self.waiting = False  # its first bytes arrived: the export was read, it waits on us
        self.headers: dict[str, str] = {}
        self.body = b""
        self._app, self._member, self._let_go = app, member, let_go

    async def run(self) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/v1/members/{self._member}/export",
            "raw_path": f"/v1/members/{self._member}/export".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"ledger"), (b"x-api-key", ADMIN_KEY.encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("ledger", 80),
        }
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if not done.is_set():
                done.set()
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # the client never goes away
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            elif message.get("body"):
                self.waiting = True
                await self._let_go.wait()  # a slow phone on a train
                self.body += message["body"]

        await self._app(scope, receive, send)


async def test_slow_export_clients_hold_no_connection_and_a_fourth_waits(
    databases: Databases, kafka_settings: KafkaSettings
) -> None:
    settings = LedgerSettings(
        database_url=await databases.migrated("ledger"),
        consumer_group=f"{kafka_settings.topic_prefix}ledger",
        roles="api",  # no workers: every connection out of the pool is a request's
    )
    await create_topics(kafka_settings)
    app = build_app(settings, kafka_settings, auth_settings())
    async with serving(app) as client:
        member = f"m-{uuid.uuid4().hex[:8]}"
        for n in range(3):
            credited = await client.post(
                f"/v1/admin/members/{member}/adjustments",
                headers=ADMIN,
                json={"adjustment_id": uuid.uuid4().hex, "points": 10 + n, "reason": "gift"},
            )
            assert credited.status_code == 201
        let_go = asyncio.Event()
        slow = [SlowClient(app, member, let_go) for _ in range(MAX_EXPORTS)]
        running = [asyncio.create_task(c.run()) for c in slow]
        await eventually(
            lambda: _started(slow), bool, timeout=10, interval=0.02, what="the exports answering"
        )
        assert [c.status for c in slow] == [200] * MAX_EXPORTS
        engine = app.state.context.parts.engine
        assert engine.pool.checkedout() == 0  # none of them holds a connection while it waits

        refused = await client.get(f"/v1/members/{member}/export", headers=ADMIN)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "10"
        assert refused.headers["content-type"] == "application/problem+json"
        reader = {"X-API-Key": READER_KEY}  # the rest of the service answers meanwhile
        assert (
            await client.get(f"/v1/members/{member}/balance", headers=reader)
        ).status_code == 200

        let_go.set()
        await asyncio.gather(*running)
        assert all(b'"entries": [' in c.body for c in slow)
        again = await client.get(f"/v1/members/{member}/export", headers=ADMIN)
        assert again.status_code == 200
        assert len(again.json()["entries"]) == 3


async def _started(clients: list[SlowClient]) -> bool:
    return all(c.waiting for c in clients)
