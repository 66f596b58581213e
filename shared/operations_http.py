"""Every service's operations routes (health, readiness, the event contract, metrics) and its
request log."""

import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import metrics
from shared.contracts.asyncapi import document as asyncapi_document
from shared.http import problem

access = logging.getLogger("pointstream.access")
ReadinessCheck = Callable[[], Awaitable[None]]


def operations_router(service: str, checks: Sequence[tuple[str, ReadinessCheck]]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process answers (liveness)."""
        return {"status": "ok", "service": service}

    @router.get("/readyz")
    async def readyz() -> Response:
        """Ready to serve: the database and Kafka answer and start-up is done (else 503)."""
        failed: dict[str, str] = {}
        for name, check in checks:
            try:
                await check()
            except Exception as exc:  # noqa: BLE001 - reported, not raised
                failed[name] = type(exc).__name__
        if failed:
            return problem(503, "Not ready", "dependencies unreachable", failed=failed)
        return JSONResponse({"status": "ready", "service": service})

    @router.get("/asyncapi.json")
    async def asyncapi() -> JSONResponse:
        """The event contract (AsyncAPI 3): every topic, message, key, header and payload."""
        return JSONResponse(asyncapi_document())

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,  # Prometheus' text format
    )
    async def prometheus() -> Response:
        """Counters and timings in Prometheus' text format (requests, lag, points by rule)."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


ACCESS_LOGS = ("all", "errors", "off")
SLOW_SECONDS = 1.0


def install_request_metrics(app: FastAPI, service: str) -> None:
    """Every request counted and timed on /metrics; logged as ``ACCESS_LOG`` says: ``all``,
    ``errors`` (the default: answers of 400 and up, and requests slower than a second) or
    ``off``. A log line per request costs more than the balance read it describes."""
    which = os.environ.get("ACCESS_LOG", "errors").strip().lower()
    if which not in ACCESS_LOGS:
        raise ValueError(f"ACCESS_LOG must be one of {', '.join(ACCESS_LOGS)}, not {which!r}")
    app.add_middleware(RequestLog, service=service, which=which)


class RequestLog:
    """Counts and logs requests by their route's template, never the raw path or query
    (those may carry tokens). Plain ASGI: no task or thread per request."""

    def __init__(self, app: ASGIApp, service: str, which: str = "all") -> None:
        self._app = app
        self._service = service
        self._which = which
        self._series: dict[tuple[str, int], tuple[Any, Any]] = {}  # labelled metrics, found once

    def _logs(self, status: int, elapsed: float) -> bool:
        if self._which == "errors":
            return status >= 400 or elapsed >= SLOW_SECONDS
        return self._which == "all"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app starts a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            elapsed = time.perf_counter() - started
            series = self._series.get((route, status))
            if series is None:
                series = self._series[(route, status)] = (
                    metrics.HTTP_REQUESTS.labels(self._service, route, str(status)),
                    metrics.HTTP_SECONDS.labels(self._service, route),
                )
            series[0].inc()
            series[1].observe(elapsed)
            if self._logs(status, elapsed):
                access.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 1),
                    },
                )
