"""Wires the notification service: settings, database, Kafka, senders, workers and HTTP."""

import functools
from datetime import timedelta

from fastapi import FastAPI

from services.notifications.adapters.senders import Sender, SmtpSender, WebhookSender
from services.notifications.domain.notices import Channel
from services.notifications.entrypoints import (
    admin_http,
    http,
    search_http,
    sign_in_http,
    unsubscribe_http,
)
from services.notifications.entrypoints.consumer import ROUTES, notice_handler
from services.notifications.entrypoints.context import NotificationsContext
from services.notifications.entrypoints.deliveries import delivery_worker
from services.notifications.entrypoints.housekeeping import housekeeping as housekeeping_worker
from services.notifications.service_layer.setup import (
    load_default_templates_if_empty,
    load_templates,
)
from services.notifications.service_layer.template_book import TemplateBook
from services.notifications.service_layer.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork
from services.notifications.settings import NotificationsSettings
from shared.app import ServiceParts, create_service_app
from shared.kafka.consumer import ConsumerRuntime
from shared.settings import AuthSettings, KafkaSettings


def senders(settings: NotificationsSettings) -> dict[Channel, Sender]:
    found: dict[Channel, Sender] = {}
    if settings.smtp_host:
        found[Channel.EMAIL] = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            use_tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )
    if settings.push_webhook_url and settings.push_webhook_secret:
        found[Channel.PUSH] = WebhookSender(
            url=settings.push_webhook_url, secret=settings.push_webhook_secret
        )
    return found


def build_app(
    settings: NotificationsSettings | None = None,
    kafka: KafkaSettings | None = None,
    auth: AuthSettings | None = None,
) -> FastAPI:
    settings = settings or NotificationsSettings()
    kafka = kafka or KafkaSettings()
    parts = ServiceParts.assemble(settings, kafka=kafka, auth=auth)
    sessions, producer = parts.sessions, parts.producer

    def uow() -> UnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    templates = TemplateBook(
        functools.partial(load_templates, sessions), ttl=settings.templates_refresh_seconds
    )
    consumer = ConsumerRuntime(
        service=settings.service,
        settings=kafka.model_copy(
            update={
                "fetch_min_bytes": settings.fetch_min_bytes,
                "fetch_max_wait_ms": settings.fetch_max_wait_ms,
            }
        ),
        topics=[kafka.topics.ledger, kafka.topics.awards],
        group_id=settings.consumer_group,
        handler=notice_handler(
            uow,
            templates=templates,
            digest_window=timedelta(seconds=settings.digest_window_seconds),
        ),
        producer=producer,
        skip_types=ROUTES.skipped,
    )
    worker = delivery_worker(
        uow,
        senders(settings),
        public_url=settings.public_url,
        max_attempts=settings.max_attempts,
        interval=settings.delivery_interval_seconds,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )

    async def default_templates() -> None:
        if settings.load_default_templates:
            await load_default_templates_if_empty(sessions)

    housekeeping = housekeeping_worker(
        uow,
        keep_messages=timedelta(days=settings.inbox_retention_days),
        keep_deliveries=timedelta(days=settings.delivery_retention_days),
    )
    parts.workers = [consumer, worker, housekeeping]
    parts.startup = [default_templates]
    app = create_service_app(
        parts,
        title="pointstream notifications",
        routers=[
            http.router,
            search_http.router,
            unsubscribe_http.router,
            sign_in_http.router,
            admin_http.router,
        ],
    )
    app.state.context = NotificationsContext(
        parts=parts, settings=settings, uow=uow, templates=templates
    )
    return app
