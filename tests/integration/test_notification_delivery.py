"""Notifications on PostgreSQL and Kafka, delivered to a real SMTP server (aiosmtpd) and to a
real webhook server that fails its first attempts."""

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

from services.notifications.bootstrap import build_app
from services.notifications.settings import NotificationsSettings
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
