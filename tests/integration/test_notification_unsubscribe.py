"""The unsubscribe link stops email (a bad push token is not retried), on real PostgreSQL, SMTP and
a push endpoint."""

import uuid

import httpx
import pytest

from shared.settings import KafkaSettings

# The notification service served in-process, with its mail and push servers.
from tests.integration.test_notification_delivery import (  # noqa: F401 (fixtures)
    READER,
    birthday,
    client,
    database_url,
    log,
    mailbox,
    push_server,
    set_preferences,
)
from tests.kafka_helpers import produce
from tests.polling import eventually
from tests.smtp import Mailbox

pytestmark = pytest.mark.integration


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
