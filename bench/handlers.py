"""The consumers' chunk handlers alone, in this process, on PostgreSQL: CPU per event of the
rules' and the ledger's work with Kafka and the relays left out. A tool for profiling what
``make bench`` measures whole (run it under ``py-spy record``); it prints milliseconds of
this process's CPU per event, per stage.

    python -m bench.handlers [--events 20000] [--chunk 500] [--postgres URL]

Without ``--postgres`` it starts a throwaway PostgreSQL of its own (``deploy/postgres``).
"""

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import Iterator

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.load import Load
from bench.program import AUDIENCES, CHALLENGE, OFFER
from services.ledger.adapters.orm import outbox as ledger_outbox
from services.ledger.bootstrap import uow_factory as ledger_uow
from services.ledger.entrypoints.consumer import award_handler
from services.ledger.service_layer.rewards_setup import load_default_catalogue_if_empty
from services.ledger.settings import LedgerSettings
from services.rules.adapters.challenge_specs import ChallengeSpec
from services.rules.adapters.offer_specs import AudienceSpec, OfferSpec
from services.rules.adapters.orm import outbox as rules_outbox
from services.rules.entrypoints.consumer import event_handler
from services.rules.service_layer.offers import save_audience, save_offer
from services.rules.service_layer.pack import load_default_pack_if_empty
from services.rules.service_layer.progress import save_challenge
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from shared.app import settle_garbage_collector
from shared.cli import migrate
from shared.contracts.envelope import CloudEvent, parse_envelope
from shared.db import create_engine, session_factory
from shared.kafka.chunks import BatchHandler
from shared.settings import KafkaSettings
from tests.infra import REPO, own_postgres


async def _database(server: str, service: str) -> async_sessionmaker[AsyncSession]:
    import asyncpg

    name = f"handlers_{service}_{int(time.time() * 1000) % 10**9}"
    admin = await asyncpg.connect(server.replace("+asyncpg", "") + "/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{server}/{name}"
    await asyncio.to_thread(migrate, REPO / "services" / service, url)
    return session_factory(create_engine(url))


async def _drain(sessions: async_sessionmaker[AsyncSession], table: Table) -> list[CloudEvent]:
    """What a relay would publish (and then delete)."""
    async with sessions() as session:
        rows = (await session.execute(select(table.c.payload).order_by(table.c.id))).all()
        await session.execute(delete(table))
        await session.commit()
    return [parse_envelope(r.payload) for r in rows]


async def _timed(handle: BatchHandler, events: list[CloudEvent], chunk: int) -> float:
    """CPU seconds of this process to handle ``events`` in chunks."""
    started = time.process_time()
    for at in range(0, len(events), chunk):
        dead = await handle(events[at : at + chunk])
        if dead:
            print(f"  dead-lettered: {list(dead.values())[:3]}", file=sys.stderr)
    return time.process_time() - started


async def run(server: str, events: int, chunk: int, warm: int) -> None:
    kafka = KafkaSettings()
    rules_db, ledger_db = await _database(server, "rules"), await _database(server, "ledger")
    await load_default_pack_if_empty(rules_db)
    for audience in AUDIENCES:
        await save_audience(rules_db, AudienceSpec.model_validate(audience), by="bench")
    await save_offer(rules_db, OfferSpec.model_validate(OFFER), by="bench")
    await save_challenge(rules_db, ChallengeSpec.model_validate(CHALLENGE), by="bench")
    await load_default_catalogue_if_empty(ledger_db)
    book = RuleBook(rules_db)
    rules = event_handler(lambda: SqlAlchemyUnitOfWork(rules_db, kafka.topics.awards), book, _nop)
    ledger = award_handler(ledger_uow(ledger_db, kafka), LedgerSettings().policy(), _nop)
    stream = Load(members=20_000).stream()
    sent = [parse_envelope(next(stream)[1]) for _ in range(warm + events)]
    settle_garbage_collector()  # as the services do once started (the load is frozen with it)
    for name, part in (("warm-up", sent[:warm]), ("measured", sent[warm:])):
        cpu_rules = await _timed(rules, part, chunk)
        awards = await _drain(rules_db, rules_outbox)
        cpu_ledger = await _timed(ledger, awards, chunk)
        news = await _drain(ledger_db, ledger_outbox)
        print(
            f"{name}: {len(part):,} events → {len(awards):,} awards → {len(news):,} ledger news;"
            f" CPU ms per event: rules {1000 * cpu_rules / len(part):.3f},"
            f" ledger {1000 * cpu_ledger / len(part):.3f}",
            file=sys.stderr,
        )


def _nop() -> None: ...


@contextlib.contextmanager
def _server(url: str | None) -> Iterator[str]:
    if url:
        yield url.rstrip("/")
    else:
        with own_postgres("bench-handlers", fsync=False) as started:
            yield started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--warm", type=int, default=5_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--postgres", default=None, help="server URL, without a database")
    args = parser.parse_args()
    with _server(args.postgres) as server:
        asyncio.run(run(server, args.events, args.chunk, args.warm))


if __name__ == "__main__":
    main()
