"""Ratios that machine noise moves little: CPU milliseconds per purchase per process, SQL
statements per purchase per service, Kafka messages per purchase per topic. Each is read
before and after a phase; the difference is divided by the purchases of the phase."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_by_process(services: dict[str, int], kafka_dir: str, pg_dir: str) -> dict[str, float]:
    """CPU seconds so far of each service, the load client (this process), the broker and
    the PostgreSQL cluster (all its backends: counted here while they live; backends that
    exit between two readings are missed, so pools keep theirs)."""
    found = {name: _cpu_seconds(pid) for name, pid in services.items()}
    found["bench client"] = _cpu_seconds(os.getpid())
    found["kafka"] = found["postgres"] = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            comm = (entry / "comm").read_text().strip()
            if comm == "java" and kafka_dir in _cmdline(pid):
                found["kafka"] += _cpu_seconds(pid)
            elif comm == "postgres" and _is_cluster(pid, pg_dir):
                found["postgres"] += _cpu_seconds(pid)
        except OSError:
            continue
    return found


def _is_cluster(pid: int, pg_dir: str) -> bool:
    """The postmaster names its data directory; backends are its children."""
    if pg_dir in _cmdline(pid):
        return True
    try:
        parent = int((Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split())[1])
    except (OSError, ValueError):
        return False
    return pg_dir in _cmdline(parent)


async def statements_by_database(server_url: str, databases: list[str]) -> dict[str, float]:
    """Statements executed so far per database, from pg_stat_statements (utility statements
    such as BEGIN and COMMIT included)."""
    host, port = server_url.rsplit("@", 1)[1].split(":")
    conn = await asyncpg.connect(host=host, port=int(port), user="pointstream", database="postgres")
    try:
        rows = await conn.fetch(
            "SELECT d.datname, sum(s.calls) AS calls FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ANY($1) GROUP BY d.datname",
            databases,
        )
    finally:
        await conn.close()
    return {r["datname"]: float(r["calls"]) for r in rows}


async def costliest_statements(
    server_url: str, databases: list[str], limit: int = 12
) -> list[dict[str, Any]]:
    """Where PostgreSQL's time went: the statements with the most execution time so far."""
    host, port = server_url.rsplit("@", 1)[1].split(":")
    conn = await asyncpg.connect(host=host, port=int(port), user="pointstream", database="postgres")
    try:
        rows = await conn.fetch(
            "SELECT d.datname, s.calls, s.rows, s.total_exec_time, s.query "
            "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = ANY($1) ORDER BY s.total_exec_time DESC LIMIT $2",
            databases,
            limit,
        )
    finally:
        await conn.close()
    return [
        {
            "database": r["datname"],
            "calls": r["calls"],
            "rows": r["rows"],
            "total_ms": round(r["total_exec_time"], 1),
            "query": " ".join(r["query"].split())[:160],
        }
        for r in rows
    ]


async def messages_by_topic(bootstrap: str, topics: list[str]) -> dict[str, float]:
    """Messages written so far to each topic (the sum of its partitions' end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        found = {}
        for topic in topics:
            parts = consumer.partitions_for_topic(topic) or set()
            if not parts:
                await consumer._client.force_metadata_update()
                parts = consumer.partitions_for_topic(topic) or set()
            ends = await consumer.end_offsets([TopicPartition(topic, p) for p in parts])
            found[topic] = float(sum(ends.values()))
        return found
    finally:
        await consumer.stop()


@dataclass
class Counters:
    """Readings before a phase; :meth:`per_purchase` turns a later reading into ratios."""

    cpu: dict[str, float] = field(default_factory=dict)
    statements: dict[str, float] = field(default_factory=dict)
    messages: dict[str, float] = field(default_factory=dict)

    def per_purchase(self, after: "Counters", purchases: int) -> dict[str, dict[str, float]]:
        def ratio(
            before: dict[str, float], now: dict[str, float], scale: float = 1
        ) -> dict[str, float]:
            return {k: scale * (now[k] - before.get(k, 0)) / purchases for k in now}

        return {
            "cpu_ms": ratio(self.cpu, after.cpu, 1000),
            "sql_statements": ratio(self.statements, after.statements),
            "kafka_messages": ratio(self.messages, after.messages),
        }
