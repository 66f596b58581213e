"""Each service publishes its HTTP contract; building the app starts nothing."""

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from services.ledger.bootstrap import build_app as ledger_app
from services.notifications.bootstrap import build_app as notifications_app
from services.rules.bootstrap import build_app as rules_app


@pytest.mark.parametrize(
    ("build", "paths"),
    [
        (rules_app, {"/v1/events"}),
        (ledger_app, {"/v1/members/{member_id}/balance", "/v1/members/{member_id}/entries"}),
        (notifications_app, {"/v1/members/{member_id}/inbox"}),
    ],
)
async def test_openapi_lists_the_contract_and_the_operations_endpoints(
    build: Callable[[], FastAPI], paths: set[str]
) -> None:
    transport = httpx.ASGITransport(app=build())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        schema = (await client.get("/openapi.json")).json()
    assert paths | {"/healthz", "/readyz", "/metrics"} <= set(schema["paths"])


async def test_the_ingest_body_is_documented_as_a_cloudevent_or_a_batch() -> None:
    transport = httpx.ASGITransport(app=rules_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        schema = (await client.get("/openapi.json")).json()
    body = schema["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["oneOf"][0] == {"$ref": "#/components/schemas/CloudEvent"}
    assert "subject" in schema["components"]["schemas"]["CloudEvent"]["properties"]
