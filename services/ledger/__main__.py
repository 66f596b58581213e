import json
from pathlib import Path

from services.ledger.adapters.reconciliation import reconcile
from services.ledger.bootstrap import build_app, uow_factory
from services.ledger.entrypoints.jobs import run_due_jobs
from services.ledger.settings import LedgerSettings
from shared import cli
from shared.db import create_engine, session_factory
from shared.settings import KafkaSettings

settings = LedgerSettings()


async def jobs() -> int:
    """Run the scheduled work once (events reach Kafka through the outbox when serving)."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    try:
        posted = await run_due_jobs(
            sessions, uow_factory(sessions, KafkaSettings()), settings.policy()
        )
    finally:
        await engine.dispose()
    print(json.dumps({"operations_posted": posted}))
    return 0


async def reconciliation() -> int:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            report = await reconcile(session)
    finally:
        await engine.dispose()
    print(
        json.dumps(
            {
                "ok": report.ok,
                "books_balance": report.books_balance,
                "members_checked": report.members_checked,
                "entries_checked": report.entries_checked,
                "program_accounts": report.accounts,
                "mismatches": report.mismatches,
            },
            indent=2,
        )
    )
    return 0 if report.ok else 1


cli.run(
    settings,
    service_dir=Path(__file__).parent,
    build_app=lambda: build_app(settings),
    tasks={
        "jobs": ("mature, expire and release what is due, once", jobs),
        "reconcile": ("prove balances equal entries; exit 1 if not", reconciliation),
    },
)
