"""The inbox and consent on real PostgreSQL: a member marks a message read once and only their own;
a member with no stored preferences has consented to nothing."""

import uuid

import httpx
import pytest

from shared.settings import KafkaSettings

# The notification service served in-process, with its mail and push servers.
from tests.integration.test_notification_delivery import (  # noqa: F401 (fixtures)
    DESK,
    READER,
    birthday,
    client,
    database_url,
    mailbox,
    push_server,
    set_preferences,
)
from tests.kafka_helpers import produce
from tests.polling import eventually

pytestmark = pytest.mark.integration


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
