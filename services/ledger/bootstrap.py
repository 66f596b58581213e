"""Wires the ledger service: settings, database, Kafka, workers and the HTTP app."""

from fastapi import FastAPI

from services.ledger.adapters.orm import outbox
from services.ledger.entrypoints import http
from services.ledger.entrypoints.consumer import award_handler
from services.ledger.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from services.ledger.settings import LedgerSettings
from shared.app import ServiceParts, create_service_app
from shared.auth import Authenticator
from shared.db import create_engine, session_factory
from shared.kafka.consumer import ConsumerRuntime
from shared.kafka.producer import EventProducer
from shared.outbox import OutboxRelay
from shared.settings import AuthSettings, KafkaSettings

SERVICE = "ledger"


def build_app(
    settings: LedgerSettings | None = None,
    kafka: KafkaSettings | None = None,
    auth: AuthSettings | None = None,
) -> FastAPI:
    settings = settings or LedgerSettings()
    kafka = kafka or KafkaSettings()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    producer = EventProducer(kafka, client_id=SERVICE)
    relay = OutboxRelay(service=SERVICE, sessions=sessions, table=outbox, producer=producer)
    handle = award_handler(lambda: SqlAlchemyUnitOfWork(sessions, kafka.topics.ledger), relay.wake)
    consumer = ConsumerRuntime(
        service=SERVICE,
        settings=kafka,
        topics=[kafka.topics.awards],
        group_id=settings.consumer_group,
        handler=handle,
        producer=producer,
    )
    parts = ServiceParts(
        name=SERVICE,
        kafka=kafka,
        engine=engine,
        sessions=sessions,
        producer=producer,
        authenticator=Authenticator(auth or AuthSettings()),
        workers=[consumer, relay],
    )
    app = create_service_app(parts, title="pointstream ledger", routers=[http.router])
    app.state.settings = settings
    return app
