"""The oracle's invariants on what the running system itself holds after a chaos run: its
databases, logs, dead-letter topic and the SMTP server's mailbox."""

import re
from collections import Counter, defaultdict

import asyncpg
import httpx

from chaos.checks import World
from chaos.system import SERVICES, ChaosSystem
from shared.settings import KafkaSettings
from tests import apps
from tests.kafka_helpers import read_all


def emails(world: World, system: ChaosSystem, kills: int) -> list[str]:
    """An email goes out once; only a replica killed between sending and recording it may
    send it again (the same Message-ID, which mail clients fold): at most one per kill."""
    sent = Counter(m["X-Pointstream-Delivery"] for m in system.mailbox.messages)
    again = sum(n - 1 for n in sent.values())
    if again <= kills:
        return []
    twice = [d for d, n in sent.items() if n > 1]
    return [f"{again} emails sent again after {kills} kills of a notification replica: {twice[:5]}"]


def _pattern(erased: set[str]) -> str:
    return "(" + "|".join(re.escape(m) for m in sorted(erased)) + ")([^0-9]|$)"


async def erasure(world: World, system: ChaosSystem) -> list[str]:
    """Erased members are absent: every member API says 410, no table and no log holds
    their id."""
    if not world.erased:
        return []
    wrong = []
    ledger = system.urls("ledger")[0]
    async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": apps.READER_KEY}) as c:
        for member in sorted(world.erased):
            r = await c.get(f"{ledger}/v1/members/{member}/balance")
            if r.status_code != 410:
                wrong.append(f"{member} erased, yet the balance answers {r.status_code}")
    pattern = _pattern(world.erased)
    for service in SERVICES:
        wrong += await _tables_holding(system.env[f"{service.upper()}_DATABASE_URL"], pattern)
    regex = re.compile(pattern)
    for replica in system.processes:
        for n, line in enumerate(system.log(replica).read_text(errors="replace").splitlines()):
            if regex.search(line):
                wrong.append(f"{replica}.log line {n + 1} names an erased member: {line[:200]}")
                break
    return wrong


async def _tables_holding(url: str, pattern: str) -> list[str]:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        columns = await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        )
        by_table: dict[str, list[str]] = defaultdict(list)
        for c in columns:
            name = f'"{c["column_name"]}"'
            text = f"convert_from({name}, 'UTF8')" if c["data_type"] == "bytea" else f"{name}::text"
            by_table[c["table_name"]].append(f"{text} ~ $1")
        found = []
        for table, conditions in by_table.items():
            query = f'SELECT count(*) FROM "{table}" WHERE {" OR ".join(conditions)}'
            if n := await conn.fetchval(query, pattern):
                found.append(f"{url.rsplit('/', 1)[1]}.{table}: {n} rows name erased members")
        return found
    finally:
        await conn.close()


async def dead_letters(world: World, system: ChaosSystem) -> list[str]:
    """Nothing that was accepted is dead-lettered later: every input here was valid."""
    kafka = KafkaSettings(
        bootstrap_servers=system.cluster.bootstrap,
        topic_prefix=system.topic_prefix,
        topic_partitions=4,
    )
    found = await read_all(kafka, kafka.topics.dead_letter)
    return [
        f"dead-lettered: {dict(r.headers).get('dlq.reason', b'?').decode()[:200]}" for r in found
    ]
