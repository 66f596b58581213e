"""The bare pipeline pointstream is measured against, in the same run: three stages of the
services' shape (rules, ledger, notifications), each its own Python process and database,
and nothing of pointstream in them. Each stage consumes batches of up to 2,000 records,
writes its rows to its database in one transaction (``unnest``, de-duplicated by ``ON
CONFLICT``), produces one message per new input to the next topic (acks=all, idempotent,
lz4, as the services' producers), then commits its offsets. No outbox, no rules engine, no
validation models, no ORM: the minimum of each service's work.

- rules: a purchase's points (one per krone of its total) kept per event id, once;
- ledger: an entry per award, once, and the member's balance moved by it;
- notifications: an inbox row per entry, once.

``python -m bench.pipeline --stage S --kafka HOST:PORT --database URL --source T [--sink T]``
runs one stage until it is stopped; ``drained`` runs all three over messages already on the
source topic and answers purchases per second, from the first record fetched until the last
stage has written the last row.
"""

import argparse
import asyncio
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

SCHEMA = {
    "rules": "CREATE TABLE IF NOT EXISTS awards (event_id text PRIMARY KEY, member text,"
    " points int)",
    "ledger": "CREATE TABLE IF NOT EXISTS entries (entry_id text PRIMARY KEY, member text,"
    " points int); CREATE TABLE IF NOT EXISTS balances (member text PRIMARY KEY, available int)",
    "notifications": "CREATE TABLE IF NOT EXISTS inbox (entry_id text PRIMARY KEY, member text,"
    " text text)",
}
_AWARD = (
    "INSERT INTO awards SELECT * FROM unnest($1::text[], $2::text[], $3::int[])"
    " ON CONFLICT DO NOTHING RETURNING event_id, member, points"
)
_ENTRY = (
    "INSERT INTO entries SELECT * FROM unnest($1::text[], $2::text[], $3::int[])"
    " ON CONFLICT DO NOTHING RETURNING entry_id, member, points"
)
_BALANCE = (
    "INSERT INTO balances SELECT * FROM unnest($1::text[], $2::int[]) ON CONFLICT (member)"
    " DO UPDATE SET available = balances.available + excluded.available"
)
_INBOX = (
    "INSERT INTO inbox SELECT * FROM unnest($1::text[], $2::text[], $3::text[])"
    " ON CONFLICT DO NOTHING"
)


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[], [], []]


async def _rules(conn: asyncpg.Connection, values: list[bytes]) -> list[tuple[str, str, int]]:
    rows = []
    for value in values:
        event = orjson.loads(value)
        data = event["data"]
        points = int(float(data.get("total", 0)))
        if event["type"] == "purchase.returned":
            points = -int(float(data.get("amount", data.get("total", 0))))
        rows.append((f"{event['source']}\x1f{event['id']}", event["subject"], points))
    return [tuple(r) for r in await conn.fetch(_AWARD, *_columns(rows))]


async def _ledger(conn: asyncpg.Connection, values: list[bytes]) -> list[tuple[str, str, int]]:
    rows = [tuple(orjson.loads(v)) for v in values]
    new = [tuple(r) for r in await conn.fetch(_ENTRY, *_columns(rows))]
    moved: dict[str, int] = defaultdict(int)
    for _, member, points in new:
        moved[member] += points
    if moved:
        await conn.execute(_BALANCE, list(moved), list(moved.values()))
    return new


async def _notifications(conn: asyncpg.Connection, values: list[bytes]) -> list[Any]:
    rows = []
    for value in values:
        entry_id, member, points = orjson.loads(value)
        rows.append((entry_id, member, f"You earned {points} points"))
    await conn.execute(_INBOX, *_columns(rows))
    return []


STAGES = {"rules": _rules, "ledger": _ledger, "notifications": _notifications}


async def stage(name: str, kafka: str, database: str, source: str, sink: str | None) -> None:
    conn = await asyncpg.connect(database)
    await conn.execute(SCHEMA[name])
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=kafka,
        group_id=f"bare-{name}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        compression_type="lz4",
        max_batch_size=256 * 1024,
    )
    await consumer.start()
    await producer.start()
    print("ready", flush=True)
    work = STAGES[name]
    first = True
    while True:
        batch = await consumer.getmany(timeout_ms=200, max_records=2000)
        records = [r for rs in batch.values() for r in rs]
        if not records:
            continue
        if first:
            print(f"first {time.time()}", flush=True)
            first = False
        async with conn.transaction():
            out = await work(conn, [r.value for r in records])
        if sink:
            sent = [
                await producer.send(sink, orjson.dumps(row), key=row[1].encode()) for row in out
            ]
            await asyncio.gather(*sent)
        await consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items() if rs})


async def drained(
    kafka: str, databases: dict[str, str], source: str, distinct: int, partitions: int
) -> float:
    """Purchases per second through the three stages: the ``distinct`` events already on
    ``source`` (duplicates beside them) until the last stage holds a row for each."""
    from bench.baselines import create_topics

    run = uuid.uuid4().hex[:6]
    topics = {"rules": source, "ledger": f"{source}.bare-awards-{run}"}
    topics["notifications"] = f"{source}.bare-entries-{run}"
    await create_topics(kafka, [topics["ledger"], topics["notifications"]], partitions)
    sinks = {"rules": topics["ledger"], "ledger": topics["notifications"], "notifications": None}
    processes: dict[str, subprocess.Popen[str]] = {}
    try:
        for name in ("notifications", "ledger", "rules"):  # the last stage listening first
            command = [sys.executable, "-m", "bench.pipeline", f"--stage={name}"]
            command += [f"--kafka={kafka}", f"--database={databases[name]}"]
            command += [f"--source={topics[name]}"]
            command += [f"--sink={sinks[name]}"] if sinks[name] else []
            processes[name] = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            out = processes[name].stdout
            assert out is not None
            line = await asyncio.to_thread(out.readline)
            if line.strip() != "ready":
                raise RuntimeError(f"bare {name} stage did not start: {line!r}")
        stdout = processes["rules"].stdout
        assert stdout is not None
        first = (await asyncio.to_thread(stdout.readline)).split()
        if first[:1] != ["first"]:
            raise RuntimeError(f"bare rules stage stopped before its first records: {first}")
        started = float(first[1])
        conn = await asyncpg.connect(databases["notifications"])
        try:
            while await conn.fetchval("SELECT count(*) FROM inbox") < distinct:
                await asyncio.sleep(0.02)
            return distinct / (time.time() - started)
        finally:
            await conn.close()
    finally:
        for process in processes.values():
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline")
    parser.add_argument("--stage", choices=STAGES, required=True)
    parser.add_argument("--kafka", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", default=None)
    args = parser.parse_args()
    asyncio.run(stage(args.stage, args.kafka, args.database, args.source, args.sink))


if __name__ == "__main__":
    main()
