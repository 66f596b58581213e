"""The rules service's ingest API against real Kafka and PostgreSQL."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.contracts.envelope import derived_id, event_key
from shared.settings import KafkaSettings
from tests.apps import POS_KEY, READER_KEY
from tests.kafka_helpers import read_until

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
# Within the window of plausible event times (docs/events.md), whenever this runs.
FIVE_DAYS_AGO = (datetime.now(UTC) - timedelta(days=5)).isoformat()


def purchase(member: str, total: Any = "120.50", event_id: str | None = None) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "pos/store-7",
        "type": "purchase.completed",
        "time": FIVE_DAYS_AGO,
        "subject": member,
        "data": {
            "purchase_id": "p-1",
            "channel": "pos",
            "currency": "DKK",
            "total": total,
            "lines": [
                {
                    "sku": "milk",
                    "category": "dairy",
                    "quantity": 2,
                    "unit_price": "60.25",
                    "tags": ["organic"],
                }
            ],
        },
    }


async def test_posting_without_a_key_or_with_the_wrong_scope_is_refused(
    client: httpx.AsyncClient,
) -> None:
    anonymous = await client.post("/v1/events", json=purchase("m-1"))
    reader = await client.post(
        "/v1/events", json=purchase("m-1"), headers={"X-API-Key": READER_KEY}
    )
    assert anonymous.status_code == 401
    assert reader.status_code == 403
    assert reader.headers["content-type"] == "application/problem+json"
    assert "events:write" in reader.json()["detail"]


async def test_malformed_json_is_a_400_with_a_reason(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/events", content=b"{oops", headers={"X-API-Key": POS_KEY})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


async def test_a_batch_with_one_bad_event_is_refused_whole_naming_the_bad_one(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    bad = purchase("m-2", total="-3")
    response = await client.post(
        "/v1/events", json=[purchase("m-2"), bad], headers={"X-API-Key": POS_KEY}
    )
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["index"] == 1
    # nothing was written: the next good event is the first message on the topic
    good = purchase("m-2")
    assert (
        await client.post("/v1/events", json=good, headers={"X-API-Key": POS_KEY})
    ).status_code == 202
    records = await read_until(kafka_settings, kafka_settings.topics.events, lambda r: len(r) >= 1)
    assert [json.loads(r.value)["id"] for r in records] == [good["id"]]


async def test_what_the_rules_would_refuse_is_refused_here_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    """Nothing ingest accepts is dead-lettered later for a reason it could have checked."""
    key = {"X-API-Key": POS_KEY}
    now = datetime.now(UTC)

    async def refusal(event: dict[str, Any]) -> tuple[list[str], str]:
        response = await client.post("/v1/events", json=event, headers=key)
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"][0]["errors"]
        return error["loc"], error["msg"]

    in_9999 = purchase("m-5") | {"time": "9999-12-30T23:59:59+00:00"}
    loc, msg = await refusal(in_9999)
    assert loc == ["time"]
    assert msg.startswith(
        "the event's time 9999-12-30T23:59:59+00:00 is more than 24 hours after it arrived"
    )
    assert msg.endswith("check the sender's clock")
    too_old = purchase("m-5") | {"time": (now - timedelta(days=401)).isoformat()}
    loc, msg = await refusal(too_old)
    assert loc == ["time"]
    assert "more than 400 days before it arrived" in msg
    late = purchase("m-5") | {"time": (now - timedelta(days=399)).isoformat()}
    assert (await client.post("/v1/events", json=late, headers=key)).status_code == 202

    enrolled = {
        **purchase("m-5"),
        "type": "member.enrolled",
        "data": {"channel": "app", "birthday": "2026-02-30"},
    }
    loc, msg = await refusal(enrolled)
    assert loc[-1] == "birthday"
    assert "2026-02-30 is not a day of the calendar" in msg

    bought = purchase("m-5")
    returned = {
        **purchase("m-5"),
        "type": "purchase.returned",
        "data": {
            "return_id": "r-1",
            "original_event_id": bought["id"],
            "currency": "SEK",
            "amount": "10.00",
        },
    }
    response = await client.post("/v1/events", json=[bought, returned], headers=key)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["index"] == 1
    assert error["errors"] == [
        {"loc": ["data", "currency"], "msg": "the return is in SEK, the purchase in DKK"}
    ]


async def test_an_accepted_batch_is_on_the_topic_keyed_by_member_and_awarded(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    events = [purchase("m-3", total=99.99), purchase("m-4", total="1000")]
    response = await client.post("/v1/events", json=events, headers={"X-API-Key": POS_KEY})
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "ids": [e["id"] for e in events]}
    on_topic = await read_until(kafka_settings, kafka_settings.topics.events, lambda r: len(r) >= 2)
    assert sorted(r.key for r in on_topic) == [b"m-3", b"m-4"]
    assert {json.loads(r.value)["data"]["total"] for r in on_topic} == {"99.99", "1000"}

    def decided(records: list[Any]) -> dict[str, Any]:
        found = [json.loads(r.value) for r in records]
        return {d["subject"]: d for d in found if d["type"] == "points.decided"}

    awards = await read_until(
        kafka_settings, kafka_settings.topics.awards, lambda r: len(decided(r)) >= 2
    )
    by_member = decided(awards)
    # One message per decided purchase, every rule's award inside it.
    # 99.99 paid, all of it dairy, 2 organic units; 1000 paid: dairy capped at 500 a day.
    assert {a["rule_id"]: a["points"] for a in by_member["m-3"]["data"]["awards"]} == {
        "base-earn": 99,
        "dairy-double": 99,
        "organic-local": 10,
    }
    assert {a["rule_id"]: a["points"] for a in by_member["m-4"]["data"]["awards"]} == {
        "base-earn": 1000,
        "dairy-double": 500,
        "big-basket": 100,
        "organic-local": 10,
    }
    # Ids derived from the event's identity: its source and id.
    key = event_key(events[0]["source"], events[0]["id"])
    assert by_member["m-3"]["id"] == derived_id(key, "decision", "m-3")
    base = next(a for a in by_member["m-3"]["data"]["awards"] if a["rule_id"] == "base-earn")
    assert base["award_id"] == derived_id(key, "base-earn")


async def test_the_ingest_fast_path_answers_as_the_route_does(client: httpx.AsyncClient) -> None:
    key = {"X-API-Key": POS_KEY}
    bad = [purchase("m-9"), purchase("m-9", total="-3")]
    fast = await client.post("/v1/events", json=bad, headers=key)
    routed = await client.post("/v1/events?via=route", json=bad, headers=key)  # FastAPI's route
    assert fast.status_code == routed.status_code == 422
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.json() == routed.json()
    good = purchase("m-9")
    accepted = await client.post("/v1/events", json=good, headers=key)
    assert (accepted.status_code, accepted.json()) == (202, {"accepted": 1, "ids": [good["id"]]})


async def test_the_ingest_fast_path_and_its_route_give_the_same_answer(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain-ASGI ingest takes what an ingest key sends, as the route does: the same
    acceptance, the same problem document for a bad event."""
    from services.rules.entrypoints.ingest_fast_path import IngestFastPath

    taken: list[bool] = []
    takes = IngestFastPath._takes

    def spy(self: IngestFastPath, scope: Any) -> bool:
        taken.append(takes(self, scope))
        return taken[-1]

    monkeypatch.setattr(IngestFastPath, "_takes", spy)
    pos = {"X-API-Key": POS_KEY}
    answers = []
    for path, fast in (("/v1/events", True), ("/v1/events?via=route", False)):
        good = await client.post(path, json=purchase("m-fast"), headers=pos)
        bad = await client.post(path, json=purchase("m-fast", total="-1"), headers=pos)
        assert taken[-2:] == [fast, fast]
        answers.append((good.status_code, good.json()["accepted"], bad.status_code, bad.json()))
    assert answers[0] == answers[1]
    assert answers[0][:3] == (202, 1, 422)
