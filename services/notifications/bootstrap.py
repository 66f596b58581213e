"""Wires the notification service: settings, database, Kafka, workers and the HTTP app."""

from fastapi import FastAPI

from services.notifications.entrypoints import http
from services.notifications.entrypoints.consumer import ledger_event_handler
from services.notifications.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from services.notifications.settings import NotificationsSettings
from shared.app import ServiceParts, create_service_app
from shared.auth import Authenticator
from shared.db import create_engine, session_factory
from shared.kafka.consumer import ConsumerRuntime
from shared.kafka.producer import EventProducer
from shared.settings import AuthSettings, KafkaSettings

SERVICE = "notifications"


def build_app(
    settings: NotificationsSettings | None = None,
    kafka: KafkaSettings | None = None,
    auth: AuthSettings | None = None,
) -> FastAPI:
    settings = settings or NotificationsSettings()
    kafka = kafka or KafkaSettings()
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    producer = EventProducer(kafka, client_id=SERVICE)  # for dead letters
    consumer = ConsumerRuntime(
        service=SERVICE,
        settings=kafka,
        topics=[kafka.topics.ledger],
        group_id=settings.consumer_group,
        handler=ledger_event_handler(lambda: SqlAlchemyUnitOfWork(sessions)),
        producer=producer,
    )
    parts = ServiceParts(
        name=SERVICE,
        kafka=kafka,
        engine=engine,
        sessions=sessions,
        producer=producer,
        authenticator=Authenticator(auth or AuthSettings()),
        workers=[consumer],
    )
    app = create_service_app(parts, title="pointstream notifications", routers=[http.router])
    app.state.settings = settings
    return app
