"""Reading the newest records of a topic without a consumer group: the console's dead letters
and the recent events a manager picks to simulate."""

import json
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts.envelope import EnvelopeError
from shared.kafka.records import Record, event_of
from shared.settings import KafkaSettings


async def newest_records(
    settings: KafkaSettings, topic: str, *, per_partition: int
) -> list[Record]:
    """Each partition's last ``per_partition`` records (as many as there are), newest first
    by the time each was written."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = [TopicPartition(topic, p["partition"]) for p in described.get("partitions", [])]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, max(starts[tp], ends[tp] - per_partition))
        found: list[Record] = []
        while True:
            positions = {tp: await consumer.position(tp) for tp in partitions}
            if all(positions[tp] >= ends[tp] for tp in partitions):
                break
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            if not batch:
                break
            for tp, records in batch.items():
                found.extend(r for r in records if r.offset < ends[tp])  # not newer ones
        return sorted(found, key=lambda r: r.timestamp, reverse=True)
    finally:
        await consumer.stop()


async def recent_events(
    settings: KafkaSettings,
    *,
    limit: int = 20,
    member: str | None = None,
    event_type: str | None = None,
    scan: int = 1000,
) -> list[dict[str, Any]]:
    """The events that arrived last on the inbound topic as structured CloudEvents
    (binary-mode ones too), the newest by their time first; only ``member``'s (the record key)
    or one type's when asked, among each partition's last ``scan`` records. Records that hold
    no event are left out."""
    events: list[tuple[datetime, dict[str, Any]]] = []
    # Unfiltered, a partition's last ``limit`` records hold the newest ``limit`` events.
    per_partition = scan if member is not None or event_type is not None else limit
    records = await newest_records(settings, settings.topics.events, per_partition=per_partition)
    for record in records:
        if member is not None and (record.key or b"").decode(errors="replace") != member:
            continue
        try:
            event = event_of(record)
        except EnvelopeError:
            continue
        if event_type is not None and event.type != event_type:
            continue
        events.append((event.time, json.loads(event.to_bytes())))
        if len(events) >= limit:
            break
    # Of those that arrived last, the newest by when they happened first (a till's batch
    # arrives at once; its events keep their own times).
    return [document for _, document in sorted(events, key=lambda e: e[0], reverse=True)]
