"""The frame of every service's process: one FastAPI app whose lifespan runs the Kafka workers."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.middleware import Middleware

from shared.auth import Authenticator
from shared.body_limit import BodyLimit
from shared.db import create_engine, ping, session_factory
from shared.http import ERROR_RESPONSES, install_problem_handlers
from shared.kafka.admin import ensure_topics
from shared.kafka.producer import EventProducer
from shared.lifecycle import Worker, running
from shared.operations_http import install_request_metrics, operations_router
from shared.outbox import OutboxRelay
from shared.retry import Backoff, Stopped, retrying
from shared.settings import ROLES, AuthSettings, KafkaSettings, Role, ServiceSettings

log = logging.getLogger(__name__)


class ServiceStarting(Exception):
    """Start-up has not finished (Kafka or the database did not answer yet)."""


@dataclass
class ServiceParts:
    name: str
    kafka: KafkaSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    producer: EventProducer
    authenticator: Authenticator
    workers: Sequence[Worker] = field(default_factory=list)
    startup: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)
    closers: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=list)
    roles: frozenset[Role] = ROLES
    max_request_bytes: int = 1_048_576

    relay: OutboxRelay | None = None

    @classmethod
    def assemble(
        cls,
        settings: ServiceSettings,
        *,
        kafka: KafkaSettings,
        auth: AuthSettings | None,
        outbox: Table | None = None,
    ) -> "ServiceParts":
        """The parts every service has, and the relay of its ``outbox`` if it has one; it adds
        its workers and start-up steps after."""
        engine = create_engine(settings.database_url)
        sessions = session_factory(engine)
        producer = EventProducer(kafka, client_id=settings.service)
        relay = (
            None
            if outbox is None
            else OutboxRelay(
                service=settings.service, sessions=sessions, table=outbox, producer=producer
            )
        )
        return cls(
            relay=relay,
            roles=settings.roles,
            max_request_bytes=settings.max_request_bytes,
            name=settings.service,
            kafka=kafka,
            engine=engine,
            sessions=sessions,
            producer=producer,
            authenticator=Authenticator(auth or AuthSettings()),
        )


def settle_garbage_collector() -> None:
    """Once started: what exists now (modules, the app, compiled rules, caches) lives as long as
    the process, so the cyclic collector stops walking it (``gc.freeze``), and collects young
    objects less often. A chunk of messages makes tens of thousands of short-lived objects;
    with the defaults the collector ran through the whole heap many times a chunk (a fifth of
    the rules' CPU in a profile). Reference counting still frees nearly everything at once."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


BOOT = Backoff(first=1.0, most=10.0)


class ServiceApp(FastAPI):
    """A service's app: its OpenAPI document also names ``schemas`` no route declares (a body
    the route validates by hand, such as the CloudEvent envelope)."""

    def __init__(self, *, schemas: Sequence[type[BaseModel]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._extra_schemas = schemas

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            schema = super().openapi()
            named = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in self._extra_schemas:
                named[model.__name__] = model.model_json_schema(
                    ref_template="#/components/schemas/{model}"
                )
        return self.openapi_schema or super().openapi()


def create_service_app(
    parts: ServiceParts,
    *,
    title: str,
    routers: Sequence[APIRouter],
    fast_paths: Sequence[Middleware] = (),
    schemas: Sequence[type[BaseModel]] = (),
) -> FastAPI:
    """``fast_paths``: plain-ASGI answers to a route's commonest request, beside their routes
    (the innermost middleware: inside the body limit and the request log, before routing);
    what a fast path does not take goes on to its route."""
    booted = asyncio.Event()

    async def boot_then_work(stopping: asyncio.Event) -> None:
        """Topics, start-up steps and the producer, retried until Kafka and the database
        answer; then the workers, until shutdown. HTTP serves meanwhile: /readyz says why
        the service is not ready yet."""

        async def boot() -> None:
            await ensure_topics(parts.kafka)
            for step in parts.startup:
                await step()
            await parts.producer.start()

        try:
            await retrying(boot, backoff=BOOT, stopping=stopping, what="start-up failed")
        except Stopped:
            return
        booted.set()
        settle_garbage_collector()
        # An API-only replica runs no workers: the workers replicas consume, relay its outbox
        # rows and run the jobs.
        async with running(parts.workers if "workers" in parts.roles else []):
            await stopping.wait()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        work = asyncio.create_task(boot_then_work(stopping))
        try:
            yield
        finally:
            stopping.set()
            # Workers get their own grace (30 s); a start-up step stuck on an absent broker
            # or database is cancelled rather than waited for.
            done, _pending = await asyncio.wait({work}, timeout=45)
            if not done:
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
            await parts.producer.stop()
            for close in parts.closers:
                await close()
            await parts.engine.dispose()

    async def started() -> None:
        if not booted.is_set():
            raise ServiceStarting()

    app = ServiceApp(
        title=title,
        lifespan=lifespan,
        version="0.1.0",
        responses=ERROR_RESPONSES,
        schemas=schemas,
    )
    app.state.authenticator = parts.authenticator
    install_problem_handlers(app)
    if "api" in parts.roles:
        for fast in fast_paths:  # added first: innermost
            app.add_middleware(fast.cls, *fast.args, **fast.kwargs)
    app.add_middleware(BodyLimit, max_bytes=parts.max_request_bytes)
    install_request_metrics(app, parts.name)  # outside the limit: a 413 is counted too

    async def database() -> None:
        await ping(parts.engine)

    checks = [("database", database), ("kafka", parts.producer.ping), ("started", started)]
    app.include_router(operations_router(parts.name, checks))
    if "api" in parts.roles:  # a workers-only replica answers health, readiness and metrics
        for router in routers:
            app.include_router(router)
    return app


@dataclass(frozen=True)
class ServiceContext:
    """What a service's routes need, wired once in bootstrap: its parts (the database, the
    producer, the Kafka settings); each service's context adds its settings and its own."""

    parts: ServiceParts

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.parts.sessions


C = TypeVar("C", bound=ServiceContext)


def context_of(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """The route dependency that hands a route its service's context (``app.state.context``)."""

    async def context(request: Request) -> C:
        found = request.app.state.context
        assert isinstance(found, kind), f"app.state.context is not a {kind.__name__}"
        return found

    return context
