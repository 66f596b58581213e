"""Notifications on PostgreSQL and Kafka, delivered to a real SMTP server (aiosmtpd) and to a
real webhook server that fails its first attempts."""

import asyncio
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from services.notifications.adapters.orm import deliveries, preferences
from services.notifications.bootstrap import build_app
from services.notifications.settings import NotificationsSettings
from shared.auth import Authenticator
from shared.contracts.envelope import new_event
from shared.settings import KafkaSettings
from tests.apps import ADMIN_KEY, DESK_KEY, READER_KEY, auth_settings, serving
from tests.conftest import Databases
from tests.infra import free_port
from tests.kafka_helpers import create_topics, produce
from tests.polling import eventually
from tests.smtp import Mailbox

pytestmark = pytest.mark.integration
SECRET = "push-secret-for-tests"
READER, ADMIN = {"X-API-Key": READER_KEY}, {"X-API-Key": ADMIN_KEY}
DESK = {"X-API-Key": DESK_KEY}  # changes preferences for members (members:write)


class PushServer(ThreadingHTTPServer):
    """Answers 503 to each token's first ``fail_first`` pushes, 400 to 'bad-token'."""

    def __init__(self, port: int, fail_first: int) -> None:
        self.fail_first, self.seen, self.accepted = fail_first, {}, []  # type: ignore[var-annotated]
        super().__init__(("127.0.0.1", port), _PushHandler)


class _PushHandler(BaseHTTPRequestHandler):
    server: PushServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        push = json.loads(body)
        tries = self.server.seen[push["delivery_id"]] = (
            self.server.seen.get(push["delivery_id"], 0) + 1
        )
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if self.headers["X-Pointstream-Signature"] != f"sha256={signature}":
            status = 401
        elif push["token"] == "bad-token":
            status = 400
        elif tries <= self.server.fail_first:
            status = 503
        else:
            status = 200
            self.server.accepted.append(push)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def push_server() -> Iterator[tuple[PushServer, int]]:
    port = free_port()
    server = PushServer(port, fail_first=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, port
    server.shutdown()
    server.server_close()


@pytest.fixture
async def database_url(databases: Databases) -> str:
    return await databases.migrated("notifications")


@pytest.fixture
async def client(
    kafka_settings: KafkaSettings,
    database_url: str,
    mailbox: tuple[Mailbox, int],
    push_server: tuple[PushServer, int],
) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotificationsSettings(
        database_url=database_url,
        consumer_group=f"{kafka_settings.topic_prefix}notifications",
        smtp_host="127.0.0.1",
        smtp_port=mailbox[1],
        public_url="https://loyalty.example.com",
        push_webhook_url=f"http://127.0.0.1:{push_server[1]}/push",
        push_webhook_secret=SECRET,
        delivery_interval_seconds=0.05,
        max_attempts=5,
    )
    await create_topics(kafka_settings)
    async with serving(build_app(settings, kafka_settings, auth_settings())) as client:
        yield client


async def set_preferences(client: httpx.AsyncClient, member: str, **changes: Any) -> None:
    """As the member's app saves them, with the member's consent to email and push."""
    prefs = {
        "consents": {"email": True, "push": True},
        "language": "sv",
        "timezone": "Europe/Stockholm",
        "email": f"{member}@example.com",
        "push_token": f"token-{member}",
        "quiet_start": None,
        "quiet_end": None,
        "channels": {
            "points": ["inbox"],
            "rewards": ["inbox", "email"],
            "tier": ["inbox", "email", "push"],
            "birthday": ["inbox", "email", "push"],
            "service": ["inbox"],
        },
    }
    response = await client.put(
        f"/v1/members/{member}/preferences", headers=DESK, json={**prefs, **changes}
    )
    assert response.status_code == 200, response.text


def birthday(member: str) -> bytes:
    return new_event(
        id=f"ledger/{uuid.uuid4().hex}",
        source="pointstream/ledger",
        type="points.earned",
        subject=member,
        data={
            "operation_id": uuid.uuid4().hex,
            "member_id": member,
            "kind": "earned",
            "points": 100,
            "status": "available",
            "explanation": "happy birthday!",
            "rule_id": "birthday",
            "rule_version": 1,
            "recorded_at": datetime.now(UTC).isoformat(),
            "postings": [],
            "balance": {"available": 100, "pending": 0, "lifetime_earned": 100},
        },
    ).to_bytes()


async def log(client: httpx.AsyncClient, member: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (
        await client.get(f"/v1/admin/deliveries?member_id={member}", headers=ADMIN)
    ).json()
    return found


async def test_one_email_and_one_push_per_cause_with_retries_in_the_members_language(
    client: httpx.AsyncClient,
    kafka_settings: KafkaSettings,
    mailbox: tuple[Mailbox, int],
    push_server: tuple[PushServer, int],
) -> None:
    member = f"m-{uuid.uuid4().hex[:6]}"
    await set_preferences(client, member)
    event = birthday(member)
    for _ in range(2):  # delivered twice by Kafka: sent once
        await produce(kafka_settings, kafka_settings.topics.ledger, event, key=member.encode())
    deliveries = await eventually(
        lambda: log(client, member),
        lambda d: len(d) == 2 and all(x["status"] == "sent" for x in d),
        what="email and push sent",
    )
    attempts = {d["channel"]: d["attempts"] for d in deliveries}
    assert attempts == {"email": 1, "push": 3}  # the push server failed twice first
    [email] = mailbox[0].messages
    assert email["Subject"] == "Grattis på födelsedagen!"
    assert email["To"] == f"{member}@example.com"
    assert (
        str(email["List-Unsubscribe"])
        .strip()
        .startswith("<https://loyalty.example.com/v1/unsubscribe/")
    )
    [push] = push_server[0].accepted
    assert (push["token"], push["title"]) == (f"token-{member}", "Grattis på födelsedagen!")
    inbox = (await client.get(f"/v1/members/{member}/inbox", headers=READER)).json()
    assert [m["title"] for m in inbox["messages"]] == ["Grattis på födelsedagen!"]


async def test_the_unsubscribe_link_stops_email_and_a_bad_push_token_is_not_retried(
    client: httpx.AsyncClient,
    kafka_settings: KafkaSettings,
    mailbox: tuple[Mailbox, int],
) -> None:
    member = f"m-{uuid.uuid4().hex[:6]}"
    await set_preferences(client, member, push_token="bad-token")
    await produce(
        kafka_settings, kafka_settings.topics.ledger, birthday(member), key=member.encode()
    )
    first = await eventually(
        lambda: log(client, member),
        lambda d: {x["status"] for x in d} == {"sent", "gave_up"},
        what="email sent, push given up",
    )
    push = next(d for d in first if d["channel"] == "push")
    assert (push["attempts"], "400" in push["last_error"]) == (1, True)
    link = str(mailbox[0].messages[-1]["List-Unsubscribe"]).strip("<> \r\n")
    assert mailbox[0].messages[-1]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = link.removeprefix("https://loyalty.example.com")
    # Opening the link (a mail scanner does too) asks, in Swedish; it changes nothing.
    asked = await client.get(path)
    assert asked.status_code == 200
    assert asked.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in asked.text
    assert "Vill du sluta få e-post från oss?" in asked.text
    prefs = (await client.get(f"/v1/members/{member}/preferences", headers=READER)).json()
    assert "email" in prefs["channels"]["birthday"]
    # The page's button: a page saying it is done.
    done = await client.post(path, headers={"Accept": "text/html"})
    assert "Du får inte längre e-post från oss." in done.text
    assert (await client.post(path)).json()["status"] == "unsubscribed"  # one-click: JSON
    await produce(
        kafka_settings, kafka_settings.topics.ledger, birthday(member), key=member.encode()
    )
    await eventually(
        lambda: client.get(f"/v1/members/{member}/inbox", headers=READER),
        lambda r: len(r.json()["messages"]) == 2,
        what="second inbox message",
    )
    channels = [d["channel"] for d in await log(client, member)]
    assert channels.count("email") == 1


async def test_quiet_hours_hold_email_and_push_until_morning_in_the_members_timezone(
    client: httpx.AsyncClient,
    kafka_settings: KafkaSettings,
    mailbox: tuple[Mailbox, int],
) -> None:
    member = f"m-{uuid.uuid4().hex[:6]}"
    zone = ZoneInfo("Asia/Tokyo")
    local_now = datetime.now(zone)
    start = (local_now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local_now + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    await set_preferences(
        client,
        member,
        timezone="Asia/Tokyo",
        quiet_start=start.isoformat(),
        quiet_end=end.isoformat(),
    )
    await produce(
        kafka_settings, kafka_settings.topics.ledger, birthday(member), key=member.encode()
    )
    held = await eventually(
        lambda: log(client, member), lambda d: len(d) == 2, what="email and push queued"
    )
    assert {d["status"] for d in held} == {"queued"}
    wait = datetime.fromisoformat(held[0]["next_attempt_at"]) - datetime.now(UTC)
    assert timedelta(hours=1) < wait <= timedelta(hours=2)
    assert not [m for m in mailbox[0].messages if m["To"] == f"{member}@example.com"]
    inbox = (await client.get(f"/v1/members/{member}/inbox", headers=READER)).json()
    assert len(inbox["messages"]) == 1  # the inbox is not a disturbance


async def test_a_member_marks_a_message_read_once_and_only_their_own(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    member, other = (f"m-{uuid.uuid4().hex[:6]}" for _ in range(2))
    await set_preferences(client, member)
    await produce(
        kafka_settings, kafka_settings.topics.ledger, birthday(member), key=member.encode()
    )
    inbox = await eventually(
        lambda: client.get(f"/v1/members/{member}/inbox", headers=READER),
        lambda r: len(r.json()["messages"]) == 1,
        what="the birthday message in the inbox",
    )
    [message] = inbox.json()["messages"]
    assert message["read_at"] is None
    read = f"/v1/members/{member}/inbox/{message['message_id']}/read"
    assert (await client.post(read, headers=READER)).status_code == 403  # a reading key
    assert (await client.post(read, headers=DESK)).status_code == 204
    again = (await client.get(f"/v1/members/{member}/inbox", headers=READER)).json()
    first_read = again["messages"][0]["read_at"]
    assert first_read is not None
    assert (await client.post(read, headers=DESK)).status_code == 204  # already read: kept
    kept = (await client.get(f"/v1/members/{member}/inbox", headers=READER)).json()
    assert kept["messages"][0]["read_at"] == first_read
    foreign = f"/v1/members/{other}/inbox/{message['message_id']}/read"
    refused = await client.post(foreign, headers=DESK)
    assert refused.status_code == 404
    assert "no message" in refused.json()["detail"]
    unknown = await client.post(f"/v1/members/{member}/inbox/nope/read", headers=DESK)
    assert unknown.status_code == 404


async def test_a_member_with_no_stored_preferences_has_consented_to_nothing(
    client: httpx.AsyncClient,
) -> None:
    """Read back and saved unchanged (as the wallet does), the answer must not record a
    consent the member never gave."""
    member = f"m-{uuid.uuid4().hex[:8]}"
    found = await client.get(f"/v1/members/{member}/preferences", headers=READER)
    assert found.status_code == 200
    assert found.json()["consents"] == {"email": False, "push": False}
    saved = await client.put(f"/v1/members/{member}/preferences", headers=DESK, json=found.json())
    assert saved.status_code == 200, saved.text
    assert saved.json()["consents"] == {"email": False, "push": False}


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
