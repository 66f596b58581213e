"""Tills and order services that already speak CloudEvents, through the official SDK (PyPI
``cloudevents``), in every standard mode: structured, batched and binary over HTTP, structured
and binary on Kafka. Extension attributes are kept; pointstream writes structured."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent as SdkEvent

from shared.settings import KafkaSettings
from tests.apps import ADMIN_KEY, POS_KEY
from tests.kafka_helpers import produce, read_until

pytestmark = [pytest.mark.integration, pytest.mark.serves("rules")]
KEY = {"X-API-Key": POS_KEY}


def sdk_purchase(member: str, total: str = "100.00", **extensions: Any) -> SdkEvent:
    return SdkEvent(
        {
            "type": "purchase.completed",
            "source": "pos/store 12",
            "id": f"sdk-{uuid.uuid4().hex[:10]}",
            "subject": member,
            "time": datetime.now(UTC) - timedelta(minutes=5),
            "datacontenttype": "application/json",
            **extensions,
        },
        {
            "purchase_id": "p-1",
            "channel": "pos",
            "currency": "DKK",
            "total": total,
            "lines": [{"sku": "beans", "category": "pantry", "quantity": 1, "unit_price": total}],
        },
    )


async def on_the_topic(kafka_settings: KafkaSettings, ids: set[str]) -> dict[str, Any]:
    """The events with these ids as ingest wrote them to the input topic (structured)."""

    def written(records: list[Any]) -> dict[str, Any]:
        found = [json.loads(r.value) for r in records]
        return {e["id"]: e for e in found if e.get("id") in ids}

    records = await read_until(
        kafka_settings, kafka_settings.topics.events, lambda r: len(written(r)) == len(ids)
    )
    return written(records)


async def decided(kafka_settings: KafkaSettings, members: set[str]) -> dict[str, int]:
    """Points each member was given, from the rules' decisions."""

    def points(records: list[Any]) -> dict[str, int]:
        found = [json.loads(r.value) for r in records]
        return {
            d["subject"]: sum(a["points"] for a in d["data"]["awards"])
            for d in found
            if d["type"] == "points.decided" and d["subject"] in members
        }

    records = await read_until(
        kafka_settings, kafka_settings.topics.awards, lambda r: set(points(r)) == members
    )
    return points(records)


async def test_binary_structured_and_batched_requests_are_all_taken(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    fmt = JSONFormat()
    members = {f"m-{uuid.uuid4().hex[:6]}" for _ in range(4)}
    binary_member, structured_member, *batch_members = sorted(members)

    binary = ce_http.to_binary(sdk_purchase(binary_member, cashierid="c-9"), fmt)
    assert "ce-specversion" in binary.headers  # the SDK's binary mode: attributes as headers
    structured = ce_http.to_structured(sdk_purchase(structured_member), fmt)
    batch_events = [sdk_purchase(m) for m in batch_members]
    batch_body = b"[" + b",".join(fmt.write(e) for e in batch_events) + b"]"

    answers = [
        await client.post("/v1/events", content=binary.body, headers=KEY | binary.headers),
        await client.post("/v1/events", content=structured.body, headers=KEY | structured.headers),
        await client.post(
            "/v1/events",
            content=batch_body,
            headers=KEY | {"content-type": "application/cloudevents-batch+json"},
        ),
    ]
    assert [a.status_code for a in answers] == [202, 202, 202], [a.text for a in answers]
    assert answers[2].json()["accepted"] == 2

    ids = {e.get_id() for e in batch_events} | {
        answers[0].json()["ids"][0],
        answers[1].json()["ids"][0],
    }
    written = await on_the_topic(kafka_settings, ids)
    kept = written[answers[0].json()["ids"][0]]
    assert kept["cashierid"] == "c-9"  # the extension attribute travels on
    assert kept["source"] == "pos/store 12"  # percent-decoded from its header
    assert kept["data"]["total"] == "100.00"
    assert await decided(kafka_settings, members) == dict.fromkeys(members, 100)


async def test_a_bad_binary_request_is_refused_naming_what_is_wrong(
    client: httpx.AsyncClient,
) -> None:
    fmt = JSONFormat()
    good = ce_http.to_binary(sdk_purchase("m-bad"), fmt)
    not_json = await client.post(
        "/v1/events",
        content=b"beans,1",
        headers=KEY | good.headers | {"content-type": "text/csv"},
    )
    assert not_json.status_code == 400
    assert "data must be JSON" in not_json.json()["detail"]
    no_type = {k: v for k, v in good.headers.items() if k != "ce-type"}
    missing = await client.post("/v1/events", content=good.body, headers=KEY | no_type)
    assert missing.status_code == 422
    [error] = missing.json()["errors"][0]["errors"]
    assert error["loc"] == ["type"]
    several = b"[" + fmt.write(sdk_purchase("m-bad")) + b"]"
    as_one = await client.post(
        "/v1/events",
        content=several,
        headers=KEY | {"content-type": "application/cloudevents+json"},
    )
    assert as_one.status_code == 422
    assert "application/cloudevents-batch+json" in as_one.json()["detail"]


async def test_binary_and_structured_records_on_kafka_are_both_handled(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    """As the Java and Go SDKs' Kafka serializers write them (binary is their default)."""
    fmt = JSONFormat()
    binary_member, structured_member = f"k-{uuid.uuid4().hex[:6]}", f"k-{uuid.uuid4().hex[:6]}"
    by_subject = lambda e: e.get_subject()  # noqa: E731 - the SDK's key mapper
    binary = ce_kafka.to_binary(sdk_purchase(binary_member, "40.00"), fmt, key_mapper=by_subject)
    structured = ce_kafka.to_structured(
        sdk_purchase(structured_member, "60.00"), fmt, key_mapper=by_subject
    )
    for message in (binary, structured):
        await produce(
            kafka_settings,
            kafka_settings.topics.events,
            message.value,
            key=message.key if isinstance(message.key, bytes) else str(message.key).encode(),
            headers=list(message.headers.items()),
        )
    points = await decided(kafka_settings, {binary_member, structured_member})
    assert points == {binary_member: 40, structured_member: 60}


async def test_the_newest_events_read_back_as_sent_for_the_simulator_to_pick(
    client: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    """GET /v1/admin/recent-events: what arrived, binary-mode records as structured events,
    newest first, one member's or one type's."""
    fmt = JSONFormat()
    member = f"r-{uuid.uuid4().hex[:6]}"
    binary = ce_kafka.to_binary(
        sdk_purchase(member, "40.00", cashierid="c-1"), fmt, key_mapper=lambda e: e.get_subject()
    )
    await produce(
        kafka_settings,
        kafka_settings.topics.events,
        binary.value,
        key=member.encode(),
        headers=list(binary.headers.items()),
    )
    posted = ce_http.to_structured(sdk_purchase(member, "70.00"), fmt)
    assert (
        await client.post("/v1/events", content=posted.body, headers=KEY | posted.headers)
    ).status_code == 202

    admin = {"X-API-Key": ADMIN_KEY}
    found = await client.get("/v1/admin/recent-events", params={"member": member}, headers=admin)
    events = found.json()["events"]
    assert [e["data"]["total"] for e in events] == ["70.00", "40.00"]  # newest first
    assert {e["subject"] for e in events} == {member}
    assert events[1]["cashierid"] == "c-1"  # as it was sent, extension attribute and all
    other_type = await client.get(
        "/v1/admin/recent-events",
        params={"member": member, "type": "member.activity"},
        headers=admin,
    )
    assert other_type.json()["events"] == []
    assert (await client.get("/v1/admin/recent-events", headers=KEY)).status_code == 403
