"""What a member tells us at the till reaches the messages: a Swedish member hears from us in
Swedish from her first message, by email only with her consent, in her quiet hours only when
they are over where she lives; a choice she makes later in the app is not undone by a replay."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.contracts.awards import MEMBER_PROFILE_CHANGED
from shared.contracts.envelope import new_event
from tests.apps import POS_KEY
from tests.e2e.system import System
from tests.kafka_helpers import produce, read_until
from tests.polling import eventually

pytestmark = pytest.mark.e2e
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def enrolment(member: str, **profile: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"enrol-{member}",
        "source": "pos/store-7",
        "type": "member.enrolled",
        "time": datetime.now(UTC).isoformat(),
        "subject": member,
        "data": {"channel": "pos", **profile},
    }


async def post(system: System, body: object) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(
            f"{system.urls['rules']}/v1/events", json=body, headers={"X-API-Key": POS_KEY}
        )
    assert r.status_code == 202, r.text


async def inbox(system: System, member: str, token: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as client:
        r = await client.get(
            f"{system.urls['notifications']}/v1/members/{member}/inbox",
            headers={"Authorization": f"Bearer {token}"},
        )
    r.raise_for_status()
    found: list[dict[str, Any]] = r.json()["messages"]
    return found


def in_quiet_hours(moment: datetime) -> bool:
    """The default quiet hours, 21:00 to 08:00, where the member lives."""
    local = moment.astimezone(STOCKHOLM)
    return local.hour >= 21 or local.hour < 8


async def test_a_swedish_member_hears_from_us_in_swedish_by_email_with_consent(
    system: System, member_token: Any
) -> None:
    eva = f"eva-{uuid.uuid4().hex[:6]}"
    address = f"{eva}@example.se"
    await post(
        system,
        enrolment(
            eva,
            language="sv",
            timezone="Europe/Stockholm",
            email=address,
            consents={"email": True},
        ),
    )
    token = member_token(eva)
    # No preferences call: her welcome is in Swedish, frame and explanation alike.
    [welcome] = await eventually(
        lambda: inbox(system, eva, token), lambda m: len(m) == 1, what="Eva's welcome"
    )
    assert welcome["title"] == "Välkommen! Du har tjänat 100 poäng"
    assert welcome["body"] == "Varför: välkommen till klubben. Du har nu 100 poäng att använda."

    # By email too (she consented), judged by the quiet hours in Stockholm.
    [email] = await eventually(
        lambda: system.deliveries(eva),
        lambda found: any(d["channel"] == "email" for d in found),
        what="Eva's welcome email queued",
    )
    created = datetime.fromisoformat(email["created_at"])
    if in_quiet_hours(created):
        local = created.astimezone(STOCKHOLM)
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0)
        if local.hour >= 21:
            morning += timedelta(days=1)
        assert datetime.fromisoformat(email["next_attempt_at"]) == morning
    else:
        [mail] = await eventually(
            lambda: mail_to(system, address), lambda m: len(m) == 1, what="Eva's email"
        )
        assert mail["Subject"] == "Välkommen! Du har tjänat 100 poäng"
        assert "Varför: välkommen till klubben." in mail.get_body(("plain",)).get_content()

    # Later she chooses English in the app; a replay of her older profile news changes nothing.
    async with httpx.AsyncClient(timeout=5, headers={"Authorization": f"Bearer {token}"}) as app:
        url = f"{system.urls['notifications']}/v1/members/{eva}/preferences"
        prefs = (await app.get(url)).json()
        assert (prefs["language"], prefs["timezone"], prefs["email"]) == (
            "sv",
            "Europe/Stockholm",
            address,
        )
        assert prefs["consents"] == {"email": True, "push": False}
        r = await app.put(url, json={**prefs, "language": "en"})
        assert r.status_code == 200, r.text
    [profile] = [
        record
        for record in await read_until(
            system.kafka,
            system.kafka.topics.awards,
            lambda rs: any(_is_profile_of(r.value, eva) for r in rs),
        )
        if _is_profile_of(record.value, eva)
    ]
    await produce(system.kafka, system.kafka.topics.awards, profile.value, key=eva.encode())
    # Then news on the same partition: once it is in her inbox, the replay was handled first.
    tier = new_event(
        id=f"tier-{eva}",
        source="test",
        type="member.tier_changed",
        subject=eva,
        data={
            "member_id": eva,
            "tier": "silver",
            "previous_tier": "base",
            "qualifying_points": 1000,
            "changed_at": datetime.now(UTC).isoformat(),
        },
    )
    await produce(system.kafka, system.kafka.topics.awards, tier.to_bytes(), key=eva.encode())
    messages = await eventually(
        lambda: inbox(system, eva, token), lambda m: len(m) == 2, what="the tier news"
    )
    assert messages[0]["title"] == "You are now Silver"
    async with httpx.AsyncClient(timeout=5, headers={"Authorization": f"Bearer {token}"}) as app:
        assert (await app.get(url)).json()["language"] == "en"


async def test_a_member_who_did_not_consent_gets_inbox_messages_only(
    system: System, member_token: Any
) -> None:
    bo = f"bo-{uuid.uuid4().hex[:6]}"
    await post(system, enrolment(bo, language="da", email=f"{bo}@example.dk"))
    [welcome] = await eventually(
        lambda: inbox(system, bo, member_token(bo)), lambda m: len(m) == 1, what="Bo's welcome"
    )
    assert welcome["title"] == "Velkommen! Du har optjent 100 point"
    assert welcome["body"] == "Hvorfor: velkommen i klubben. Du har nu 100 point at bruge."
    # Deliveries are queued with the inbox message, in one transaction: none is coming.
    assert await system.deliveries(bo) == []


async def mail_to(system: System, address: str) -> list[Any]:
    return system.mailbox.to(address)


def _is_profile_of(value: bytes, member: str) -> bool:
    event = json.loads(value)
    return bool(event["type"] == MEMBER_PROFILE_CHANGED and event["subject"] == member)


async def test_a_till_whose_clock_runs_ahead_does_not_keep_a_consent_withdrawn_since(
    system: System, member_token: Any
) -> None:
    """The till's clock is 20 hours ahead: its enrolment counts from when it arrived, so a
    withdrawal made a minute later (the web shop's clock is right) wins."""
    ida = f"ida-{uuid.uuid4().hex[:6]}"
    ahead = enrolment(ida, email=f"{ida}@example.dk", consents={"email": True, "push": True})
    ahead["time"] = (datetime.now(UTC) + timedelta(hours=20)).isoformat()
    await post(system, ahead)
    token = member_token(ida)
    url = f"{system.urls['notifications']}/v1/members/{ida}/preferences"

    async def consents() -> dict[str, bool]:
        async with httpx.AsyncClient(timeout=5) as client:
            r = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        found: dict[str, bool] = r.json()["consents"] if r.status_code == 200 else {}
        return found

    await eventually(consents, lambda c: c.get("email") is True, what="the till's consent")
    withdrawn = {
        "specversion": "1.0",
        "id": f"web-{uuid.uuid4().hex[:6]}",
        "source": "web/shop",
        "type": "member.profile_updated",
        "time": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        "subject": ida,
        "data": {"consents": {"email": False, "push": False}},
    }
    await post(system, withdrawn)
    await eventually(
        consents, lambda c: c == {"email": False, "push": False}, what="the withdrawal kept"
    )
