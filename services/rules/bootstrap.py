"""Wires the rules service: settings, database, Kafka, rule book, workers and the HTTP app."""

from datetime import timedelta

from fastapi import FastAPI, Response
from starlette.middleware import Middleware

from services.rules.adapters.orm import erased_members, outbox
from services.rules.entrypoints import (
    admin_http,
    audiences_http,
    challenges_http,
    drafts_http,
    erasure_http,
    http,
    members_http,
    offers_http,
    operations_http,
    partners_http,
    program_http,
    rates_http,
)
from services.rules.entrypoints.consumer import event_handler
from services.rules.entrypoints.context import RulesContext
from services.rules.entrypoints.http import accept_events
from services.rules.entrypoints.ingest_fast_path import IngestFastPath
from services.rules.entrypoints.jobs import rules_jobs
from services.rules.service_layer.pack import load_default_pack_if_empty
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork
from services.rules.settings import RulesSettings
from shared.app import ServiceParts, create_service_app
from shared.contracts.envelope import CloudEvent
from shared.erasure.cache import ErasedCache
from shared.kafka.consumer import ConsumerRuntime
from shared.settings import AuthSettings, KafkaSettings


def build_app(
    settings: RulesSettings | None = None,
    kafka: KafkaSettings | None = None,
    auth: AuthSettings | None = None,
) -> FastAPI:
    settings = settings or RulesSettings()
    kafka = kafka or KafkaSettings()
    parts = ServiceParts.assemble(settings, kafka=kafka, auth=auth, outbox=outbox)
    sessions, producer, relay = parts.sessions, parts.producer, parts.relay
    assert relay is not None
    book = RuleBook(sessions, ttl=settings.rules_refresh_seconds, currency=settings.currency)

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(sessions, kafka.topics.awards)

    consumer = ConsumerRuntime(
        service=settings.service,
        settings=kafka,
        topics=[kafka.topics.events],
        group_id=settings.consumer_group,
        handler=event_handler(uow, book, relay.wake),
        producer=producer,
        from_outside=True,
    )

    jobs = rules_jobs(
        sessions,
        uow,
        book,
        interval=settings.jobs_interval_seconds,
        on_done=relay.wake,
        keep_processed=timedelta(days=settings.processed_retention_days),
        keep_history=timedelta(days=settings.history_days),
    )

    async def default_pack() -> None:
        if settings.load_default_pack:
            await load_default_pack_if_empty(sessions)

    parts.workers = [consumer, relay, jobs]
    parts.startup = [default_pack]
    erased = ErasedCache(sessions, erased_members)
    context = RulesContext(parts=parts, settings=settings, uow=uow, book=book, erased=erased)

    async def accept(body: bytes, headers: list[tuple[str, str]]) -> Response:
        return await accept_events(body, headers=headers, context=context)

    app = create_service_app(
        parts,
        title="pointstream rules",
        routers=[
            http.router,
            members_http.router,
            admin_http.router,
            admin_http.reports,
            program_http.router,
            drafts_http.router,
            erasure_http.router,
            operations_http.router,
            rates_http.router,
            audiences_http.router,
            offers_http.admin,
            offers_http.reports,
            offers_http.members,
            challenges_http.admin,
            challenges_http.reports,
            challenges_http.members,
            partners_http.admin,
            partners_http.either,
        ],
        fast_paths=[Middleware(IngestFastPath, authenticator=parts.authenticator, accept=accept)],
        schemas=[CloudEvent],  # the ingest body, validated by hand (exact decimals)
    )
    app.state.context = context
    return app
