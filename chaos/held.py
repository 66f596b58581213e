"""The oracle's invariants on what the running system itself holds after a chaos run: its
databases, logs, dead-letter topic and the SMTP server's mailbox."""

import os
import re
from collections import defaultdict
from collections.abc import Sequence

import asyncpg
import httpx

from chaos.acts import Window
from chaos.checks import World
from chaos.system import SERVICES, ChaosSystem
from shared.settings import KafkaSettings
from tests import apps
from tests.kafka_helpers import read_all


def emails(system: ChaosSystem, windows: list[Window]) -> list[str]:
    """An email goes out once. Only a fault can make one go again (the same Message-ID, which
    mail clients fold): a notifications replica killed or stopped between sending it and
    recording it, or the database lost there. A copy no fault explains is a broken promise —
    e.g. a replica that sends what it no longer holds."""
    received = zip(system.mailbox.messages, system.mailbox.received, strict=False)
    sent = [(str(message["X-Pointstream-Delivery"]), at) for message, at in received]
    return sent_again_unexplained(sent, windows)


def sent_again_unexplained(sent: Sequence[tuple[str, float]], windows: list[Window]) -> list[str]:
    """Each copy after an email's first needs a fault of its own that falls between it and
    the copy before (a window explains as many copies as its ``excuses``), matched earliest
    window first."""
    copies: dict[str, list[float]] = defaultdict(list)
    for delivery, at in sent:
        copies[delivery].append(at)
    again = [(t[n - 1], t[n], d) for d, t in copies.items() for n in range(1, len(t))]
    left = [w.excuses for w in windows]
    by_end = sorted(range(len(windows)), key=lambda n: windows[n].end)
    unexplained = []
    for first, second, delivery in sorted(again, key=lambda a: a[1]):
        w = next((n for n in by_end if left[n] and _between(windows[n], first, second)), None)
        if w is None:
            unexplained.append(f"{delivery} sent again {second - first:.1f} s later")
        else:
            left[w] -= 1
    if not unexplained:
        return []
    return [
        f"{len(unexplained)} of {len(again)} emails sent again with no fault to explain it "
        f"({len(windows)} faults could): {unexplained[:5]}"
    ]


def _between(window: Window, first: float, second: float) -> bool:
    return window.start <= second and window.end >= first


def erased_pattern(erased: set[str]) -> str:
    """A regex whose first group finds every id shaped like the erased ones (their common
    stem, then digits), so that a table or a log is searched once for all of them and what is
    found looked up; else one alternative per erased id."""
    stem = os.path.commonprefix(sorted(erased)).rstrip("0123456789")  # noqa: RUF071 (by character)
    if stem and all(re.fullmatch(re.escape(stem) + "[0-9]+", m) for m in erased):
        return f"({re.escape(stem)}[0-9]+)"
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
    pattern = erased_pattern(world.erased)
    for service in SERVICES:
        url = system.env[f"{service.upper()}_DATABASE_URL"]
        wrong += await _tables_holding(url, pattern, world.erased)
    regex = re.compile(pattern)
    for replica in system.processes:
        text = system.log(replica).read_text(errors="replace")
        hit = next((m for m in regex.finditer(text) if m.group(1) in world.erased), None)
        if hit:
            line = text[text.rfind("\n", 0, hit.start()) + 1 :].split("\n", 1)[0]
            n = text.count("\n", 0, hit.start()) + 1
            wrong.append(f"{replica}.log line {n} names an erased member: {line[:200]}")
    return wrong


async def _tables_holding(url: str, pattern: str, erased: set[str]) -> list[str]:
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
            by_table[c["table_name"]].append(text)
        found = []
        for table, texts in by_table.items():
            query = (
                f'SELECT DISTINCT m[1] FROM "{table}",'
                f" LATERAL regexp_matches(concat_ws(' ', {', '.join(texts)}), $1, 'g') AS m"
            )
            named = {r[0] for r in await conn.fetch(query, pattern)} & erased
            if named:
                found.append(f"{url.rsplit('/', 1)[1]}.{table}: {len(named)} erased members named")
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
