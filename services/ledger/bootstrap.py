"""Wires the ledger service: settings, database, Kafka, workers and the HTTP app."""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.middleware import Middleware

from services.ledger.adapters.balance_reader import BalanceReader
from services.ledger.adapters.orm import outbox
from services.ledger.entrypoints import admin_http, http, redemptions_http, rewards_http
from services.ledger.entrypoints.balance_fast_path import BalanceFastPath
from services.ledger.entrypoints.consumer import ROUTES, award_handler
from services.ledger.entrypoints.context import LedgerContext, install_ledger_errors
from services.ledger.entrypoints.jobs import ledger_jobs
from services.ledger.service_layer import reminders, views
from services.ledger.service_layer import rewards as rewards_handlers
from services.ledger.service_layer.rewards_setup import load_default_catalogue_if_empty
from services.ledger.service_layer.rewards_unit_of_work import RewardsUnitOfWork
from services.ledger.settings import LedgerSettings
from shared.app import ServiceParts, create_service_app
from shared.kafka.consumer import ConsumerRuntime
from shared.settings import AuthSettings, KafkaSettings


def uow_factory(
    sessions: async_sessionmaker[AsyncSession], kafka: KafkaSettings
) -> Callable[[], RewardsUnitOfWork]:
    return lambda: RewardsUnitOfWork(sessions, kafka.topics.ledger)


def build_app(
    settings: LedgerSettings | None = None,
    kafka: KafkaSettings | None = None,
    auth: AuthSettings | None = None,
) -> FastAPI:
    settings = settings or LedgerSettings()
    kafka = kafka or KafkaSettings()
    parts = ServiceParts.assemble(settings, kafka=kafka, auth=auth, outbox=outbox)
    sessions, producer, relay = parts.sessions, parts.producer, parts.relay
    assert relay is not None
    uow = uow_factory(sessions, kafka)
    policy = settings.policy()
    consumer = ConsumerRuntime(
        service=settings.service,
        settings=kafka,
        topics=[kafka.topics.awards],
        group_id=settings.consumer_group,
        handler=award_handler(uow, policy, relay.wake, gifts_uow=uow),
        producer=producer,
        skip_types=ROUTES.skipped,
    )
    jobs = ledger_jobs(
        sessions,
        uow,
        policy,
        interval=settings.jobs_interval_seconds,
        on_posted=relay.wake,
        also=[
            lambda: rewards_handlers.expire_vouchers(sessions, uow, policy),
            lambda: reminders.remind_expiring(sessions, uow, days=settings.expiry_reminder_days),
        ],
    )

    async def default_catalogue() -> None:
        if settings.load_default_rewards:
            await load_default_catalogue_if_empty(sessions)

    parts.workers = [consumer, relay, jobs]
    parts.startup = [default_catalogue]
    balances = BalanceReader(settings.database_url)

    async def read_balance(member_id: str) -> dict[str, Any]:
        return await views.balance_answer(balances, sessions, member_id)

    parts.closers = [balances.close]
    app = create_service_app(
        parts,
        title="pointstream ledger",
        routers=[
            http.router,
            redemptions_http.router,
            admin_http.router,
            admin_http.reports,
            rewards_http.router,
        ],
        fast_paths=[
            Middleware(BalanceFastPath, authenticator=parts.authenticator, read=read_balance)
        ],
    )
    app.state.context = LedgerContext(
        parts=parts,
        settings=settings,
        policy=policy,
        uow=uow,
        committed=relay.wake,
        read_balance=read_balance,
    )
    install_ledger_errors(app)
    return app
