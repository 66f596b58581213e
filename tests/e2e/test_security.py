"""Hostile callers: no credentials, wrong credentials, another member's token; and no secret
ends up in a log."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.auth import Authenticator
from tests import apps
from tests.apps import POS_KEY
from tests.e2e.system import System
from tests.polling import eventually

pytestmark = pytest.mark.e2e
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
    "/asyncapi.json",  # the event contract, as public as the HTTP one
    "/v1/unsubscribe/{token}",
}
WRONG_KEY = "wrong-key-0123456789abcdef"


async def test_every_route_but_the_public_ones_refuses_missing_and_wrong_credentials(
    system: System,
) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        for service, url in system.urls.items():
            schema = (await client.get(f"{url}/openapi.json")).json()
            for path, operations in schema["paths"].items():
                if path in PUBLIC:
                    continue
                concrete = path.replace("{", "x").replace("}", "")
                for method in operations:
                    for headers in (
                        {},
                        {"X-API-Key": WRONG_KEY},
                        {"Authorization": f"Bearer {WRONG_KEY}"},
                    ):
                        response = await client.request(
                            method, f"{url}{concrete}", headers=headers, json={}
                        )
                        assert response.status_code == 401, (service, method, path, headers)
                        assert response.headers["content-type"] == "application/problem+json"


# Scopes that only read: members' data (an app backend, a reporting key), the program's figures.
READ_ONLY_KEYS = {"members:read": apps.READER_KEY, "reports:read": apps.ANALYST_KEY}
WRITES = {"post", "put", "patch", "delete"}
# POSTs that change nothing (a simulation, a check of a draft): still refused to these keys,
# as they are admin routes. Nothing is left out of the check.


async def test_every_route_that_changes_state_refuses_every_read_only_scope(
    system: System,
) -> None:
    """Generated from the route tables: a leaked reporting or reading key cannot write."""
    checked, wrong = 0, []
    async with httpx.AsyncClient(timeout=5) as client:
        for service, url in system.urls.items():
            schema = (await client.get(f"{url}/openapi.json")).json()
            for path, operations in schema["paths"].items():
                if path in PUBLIC:
                    continue
                concrete = path.replace("{", "x").replace("}", "")
                for method in set(operations) & WRITES:
                    for scope, key in READ_ONLY_KEYS.items():
                        response = await client.request(
                            method,
                            f"{url}{concrete}",
                            headers={"X-API-Key": key, "Idempotency-Key": "k"},
                            json={},
                        )
                        if response.status_code != 403:
                            wrong.append((service, method, path, scope, response.status_code))
                        assert response.headers["content-type"] == "application/problem+json"
                        checked += 1
    assert wrong == [], "\n".join(map(str, wrong))
    assert checked > 40  # every service's writes, not none


async def test_an_ingest_key_cannot_change_rules_or_spend_points(system: System) -> None:
    pos = {"X-API-Key": POS_KEY}
    async with httpx.AsyncClient(timeout=5, headers=pos) as client:
        rule = await client.put(f"{system.urls['rules']}/v1/rules/x", json={})
        spend = await client.post(
            f"{system.urls['ledger']}/v1/members/m/redemptions",
            json={"points": 1, "description": "x"},
            headers={"Idempotency-Key": "k"},
        )
    assert (rule.status_code, spend.status_code) == (403, 403)


async def test_no_key_token_or_unsubscribe_secret_reaches_the_logs(system: System) -> None:
    token = Authenticator(apps.auth_settings()).issue_member_token("m-secret")
    async with httpx.AsyncClient(timeout=5) as client:
        for url in system.urls.values():
            await client.get(
                f"{url}/v1/members/m-secret/balance", headers={"Authorization": f"Bearer {token}"}
            )
            await client.get(f"{url}/v1/members/m-secret/balance", headers={"X-API-Key": WRONG_KEY})
        await client.get(f"{system.urls['notifications']}/v1/unsubscribe/{WRONG_KEY}")

    async def logs() -> str:
        return "".join(path.read_text(errors="replace") for path in system.logs.values())

    # Requests are logged (the line follows the answer: wait for it) ...
    text = await eventually(
        logs, lambda t: '"route": "/v1/unsubscribe/{token}"' in t, timeout=10, what="access log"
    )
    for secret in (token, WRONG_KEY, apps.TOKEN_SECRET, POS_KEY):
        assert secret not in text  # ... without their secrets


async def test_a_body_over_the_limit_is_refused_as_it_arrives_before_authentication(
    system: System,
) -> None:
    """A multi-gigabyte body once was read into memory before the 401. Now: declared too long,
    413 before a byte of it is read; streamed without a length, 413 once the count passes the
    limit (rules take 6 MiB: ingest batches and rates files; the others 1 MiB)."""
    writes = {
        "rules": ("POST", "/v1/events"),
        "ledger": ("POST", "/v1/members/m/redemptions"),
        "notifications": ("PUT", "/v1/members/m/preferences"),
    }
    for service, (method, path) in writes.items():
        host, port = system.urls[service].removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "Content-Length: 5000000000\r\n\r\n".encode()
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout=5)
        writer.close()
        assert status.startswith(b"HTTP/1.1 413"), (service, status)

        async def stream() -> AsyncIterator[bytes]:
            yield b"[" + b" " * 1024
            for _ in range(7 * 1024):  # 7 MiB, in 1 KiB pieces, no Content-Length
                yield b" " * 1024

        async with httpx.AsyncClient(timeout=30) as client:
            refused = await client.request(
                method, f"{system.urls[service]}{path}", content=stream()
            )
        assert refused.status_code == 413, (service, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert "limit" in refused.json()["detail"]
