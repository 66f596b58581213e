"""The frame of every service's process: one FastAPI app whose lifespan runs the Kafka workers."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.auth import Authenticator
from shared.db import ping
from shared.http import install_problem_handlers, install_request_metrics, operations_router
from shared.kafka.admin import ensure_topics
from shared.kafka.producer import EventProducer
from shared.lifecycle import Worker, running
from shared.settings import KafkaSettings


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


def create_service_app(parts: ServiceParts, *, title: str, routers: Sequence[APIRouter]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await ensure_topics(parts.kafka)
        for step in parts.startup:
            await step()
        await parts.producer.start()
        try:
            async with running(parts.workers):
                yield
        finally:
            await parts.producer.stop()
            await parts.engine.dispose()

    app = FastAPI(title=title, lifespan=lifespan, version="0.1.0")
    app.state.parts = parts
    app.state.sessions = parts.sessions
    app.state.authenticator = parts.authenticator
    install_problem_handlers(app)
    install_request_metrics(app, parts.name)

    async def database() -> None:
        await ping(parts.engine)

    app.include_router(
        operations_router(parts.name, [("database", database), ("kafka", parts.producer.ping)])
    )
    for router in routers:
        app.include_router(router)
    return app


def _parts(request: Request) -> ServiceParts:
    parts: ServiceParts = request.app.state.parts
    return parts


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


PartsDep = Annotated[ServiceParts, Depends(_parts)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]
