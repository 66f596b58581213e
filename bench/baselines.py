"""What the same client libraries do with no pointstream in between: the raw Kafka passthrough
rate and the raw rate of the ledger's row inserts, measured in the same run."""

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import asyncpg
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import insert

from bench.load import producer
from services.ledger.adapters.orm import entries
from shared.db import create_engine


async def kafka_passthrough(
    bootstrap: str, prefix: str, messages: Sequence[tuple[bytes, bytes]], partitions: int
) -> float:
    """Messages per second consumed from one topic and produced to another (acks=all,
    idempotent, offsets committed per batch, read_committed): a consumer doing no work."""
    source, sink = f"{prefix}bench.raw-in", f"{prefix}bench.raw-out"
    await create_topics(bootstrap, [source, sink], partitions)
    out = await producer(bootstrap)
    try:
        for key, value in messages:
            await out.send(source, value, key=key)
        await out.flush()
        consumer = AIOKafkaConsumer(
            source,
            bootstrap_servers=bootstrap,
            group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await consumer.start()
        try:
            passed = 0
            started = None  # the clock starts with the first records, not with joining the group
            while passed < len(messages):
                batch = await consumer.getmany(timeout_ms=300, max_records=500)
                if started is None and batch:
                    started = time.perf_counter()
                acks = [
                    await out.send(sink, r.value, key=r.key)
                    for records in batch.values()
                    for r in records
                ]
                await asyncio.gather(*acks)
                offsets = {tp: rs[-1].offset + 1 for tp, rs in batch.items() if rs}
                if offsets:
                    await consumer.commit(offsets)
                passed += len(acks)
            assert started is not None
            return passed / (time.perf_counter() - started)
        finally:
            await consumer.stop()
    finally:
        await out.stop()


async def create_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics]
        )
    finally:
        await admin.close()


async def database_inserts(url: str, rows: int, batch: int = 2000) -> dict[str, float]:
    """Ledger entry rows per second, ``batch`` rows a transaction, by the fastest raw paths
    PostgreSQL offers here (asyncpg's COPY and executemany), and through SQLAlchemy as the
    services write them."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: entries.create(c))
        now = datetime.now(UTC)
        values = [
            {
                "entry_id": f"e{n}",
                "operation_id": f"o{n}",
                "account_key": f"~m{n % 20000:07d}",
                "kind": "earn",
                "points": 100 + n % 50,
                "debit_account": "program:liability",
                "credit_account": f"member:m{n % 20000:07d}:pending",
                "available_after": 0,
                "pending_after": 100,
                "held_after": 0,
                "lot_id": f"l{n}",
                "rule_id": "base-earn",
                "rule_version": 1,
                "explanation": "1 point per krone",
                "source_event_id": f"s{n}",
                "actor": None,
                "recorded_at": now,
            }
            for n in range(rows)
        ]
        rates = {}
        started = time.perf_counter()
        for first in range(0, rows, batch):
            async with engine.begin() as conn:
                await conn.execute(insert(entries), values[first : first + batch])
        rates["sqlalchemy"] = rows / (time.perf_counter() - started)
        columns = list(values[0])
        records = [tuple(v[c] for c in columns) for v in values]
        raw = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            for path in ("executemany", "copy"):
                await raw.execute("TRUNCATE entries")
                started = time.perf_counter()
                for first in range(0, rows, batch):
                    chunk = records[first : first + batch]
                    async with raw.transaction():
                        if path == "copy":
                            await raw.copy_records_to_table(
                                "entries", records=chunk, columns=columns
                            )
                        else:
                            await raw.executemany(_INSERT % _placeholders(columns), chunk)
                rates[f"asyncpg {path}"] = rows / (time.perf_counter() - started)
        finally:
            await raw.close()
        return rates
    finally:
        await engine.dispose()


_INSERT = "INSERT INTO entries (%s) VALUES (%s)"


def _placeholders(columns: list[str]) -> tuple[str, str]:
    return ", ".join(columns), ", ".join(f"${i}" for i in range(1, len(columns) + 1))
