"""Notifications under concurrency: an unsubscribe waiting for a concurrent change, two replicas
and a slow mail server sending each email once, templates' and sign-in links' checks."""

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from services.notifications.adapters.orm import deliveries, preferences
from services.notifications.bootstrap import build_app
from services.notifications.settings import NotificationsSettings
from shared.auth import Authenticator
from shared.settings import KafkaSettings
from tests.apps import auth_settings, serving
from tests.infra import free_port

# The notification service served in-process, with its mail and push servers.
from tests.integration.test_notification_delivery import (  # noqa: F401 (fixtures)
    ADMIN,
    READER,
    client,
    database_url,
    mailbox,
    push_server,
    set_preferences,
)
from tests.kafka_helpers import create_topics
from tests.polling import eventually
from tests.smtp import Mailbox

pytestmark = pytest.mark.integration


async def test_an_unsubscribe_waits_for_a_concurrent_change_and_keeps_it(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """The member changes their language in the app while their mail program unsubscribes:
    both changes stay (the unsubscribe reads the row under lock, after the change)."""
    member = f"m-{uuid.uuid4().hex[:6]}"
    await set_preferences(client, member, email=f"{member}@example.com")
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(preferences.c.unsubscribe_token, preferences.c.prefs)
                    .where(preferences.c.member_id == member)
                    .with_for_update()
                )
            ).one()
            path = f"/v1/unsubscribe/{row.unsubscribe_token}"
            unsubscribing = asyncio.create_task(client.post(path))

            async def waiting() -> int:
                async with engine.connect() as other:
                    found = await other.scalar(
                        text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    )
                    return int(found or 0)

            await eventually(waiting, lambda n: n >= 1, what="the unsubscribe waiting for the row")
            assert not unsubscribing.done()
            changed = {**row.prefs, "language": "da"}
            await conn.execute(
                update(preferences).where(preferences.c.member_id == member).values(prefs=changed)
            )
            await conn.commit()
        assert (await unsubscribing).json()["status"] == "unsubscribed"
    finally:
        await engine.dispose()
    prefs = (await client.get(f"/v1/members/{member}/preferences", headers=READER)).json()
    assert prefs["language"] == "da"
    assert all("email" not in channels for channels in prefs["channels"].values())


class SlowMailbox(Mailbox):
    """A mail server that takes its time over each message."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self._seconds = seconds

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self._seconds)
        return await super().handle_DATA(server, session, envelope)


async def test_two_replicas_and_a_slow_mail_server_send_every_email_once(
    kafka_settings: KafkaSettings, database_url: str
) -> None:
    """The issue's case scaled down in time, same proportions: a replica takes a batch of
    deliveries under one lease and sends them one by one; the server is slow, so the batch
    takes far longer than the lease (20 x 0.5 s against 2 s), and the other replica takes
    over what is left. Every email arrives once: each send renews its own lease first, and a
    replica never sends what the other took."""
    box, port = SlowMailbox(0.5), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    engine = create_async_engine(database_url)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                deliveries.insert(),
                [
                    {
                        "delivery_id": f"voucher-{n:02d}",
                        "member_id": f"m-{n:02d}",
                        "channel": "email",
                        "kind": "voucher_issued",
                        "address": f"m-{n:02d}@example.com",
                        "subject": "Your voucher",
                        "body": "Show it at the till.",
                        "html": None,
                        "status": "queued",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                        "sent_at": None,
                        "last_error": None,
                    }
                    for n in range(20)
                ],
            )
        await create_topics(kafka_settings)
        settings = NotificationsSettings(
            database_url=database_url,
            consumer_group=f"{kafka_settings.topic_prefix}notifications",
            smtp_host="127.0.0.1",
            smtp_port=port,
            delivery_interval_seconds=0.05,
            delivery_lease_seconds=2,
        )
        replicas = [build_app(settings, kafka_settings, auth_settings()) for _ in range(2)]
        async with serving(replicas[0]), serving(replicas[1]):

            async def sent() -> int:
                async with engine.connect() as conn:
                    found = await conn.scalar(
                        select(func.count()).where(deliveries.c.status == "sent")
                    )
                    return int(found or 0)

            await eventually(sent, lambda n: n == 20, timeout=60, what="every email sent")
        # (both replicas stopped: nothing is mid-send any more)
        ids = [str(m["Message-ID"]) for m in box.messages]
        assert sorted(ids) == sorted(f"<voucher-{n:02d}@pointstream>" for n in range(20))
    finally:
        controller.stop()
        await engine.dispose()


async def test_a_templates_title_refuses_control_characters(client: httpx.AsyncClient) -> None:
    """A title reaches members' inboxes and mail subjects: printable, or refused by name."""
    refused = await client.put(
        "/v1/admin/templates/points_earned/en",
        json={"title": "Points\u0005 for you\r", "body": "{{ points }} points"},
        headers=ADMIN,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "title"]
    two_lines = {"title": "Points for you", "body": "Thank you.\nSee you soon."}
    saved = await client.put("/v1/admin/templates/points_earned/en", json=two_lines, headers=ADMIN)
    assert saved.status_code == 200, saved.text


async def test_a_sign_in_link_is_used_once_whatever_the_bearer_schemes_case(
    client: httpx.AsyncClient,
) -> None:
    token = Authenticator(auth_settings()).issue_member_token("m-link")
    first = await client.post(
        "/v1/members/m-link/sign-ins", headers={"Authorization": f"bearer {token}"}
    )
    again = await client.post(
        "/v1/members/m-link/sign-ins", headers={"Authorization": f"Bearer {token}"}
    )
    by_key = await client.post("/v1/members/m-link/sign-ins", headers=ADMIN)
    assert (first.status_code, again.status_code, by_key.status_code) == (201, 409, 403)
    assert "used already" in again.json()["detail"]
