"""Run a service's app in-process, lifespan (consumer, relay) included, for integration tests."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from shared.auth import (
    SCOPE_ADMIN,
    SCOPE_INGEST,
    SCOPE_MEMBERS_READ,
    SCOPE_MEMBERS_WRITE,
    SCOPE_REDEEM,
    SCOPE_REPORTS,
)
from shared.settings import AuthSettings
from tests.polling import eventually

POS_KEY = "test-pos-key"
READER_KEY = "test-reader-key"
TILL_KEY = "test-till-key"
ADMIN_KEY = "test-admin-key"
ALL_SCOPES_KEY = "test-all-scopes-key"  # the fuzzer's: every operation reachable
MANAGER_KEY = "test-manager-key"  # a program manager's, in the console
ANALYST_KEY = "test-analyst-key"  # a BI tool's: the program's figures, nobody's data
DESK_KEY = "test-desk-key"  # a service desk's: reads and changes members' choices for them
COFFEE_KEY = "test-coffee-key"  # partner coffee's: its own events and settlement
BANK_KEY = "test-bank-key"  # partner bank's
TOKEN_SECRET = "test-member-token-secret-0123456789"

API_KEYS = json.dumps(
    [
        {"name": "pos", "key": POS_KEY, "scopes": [SCOPE_INGEST]},
        {"name": "reader", "key": READER_KEY, "scopes": [SCOPE_MEMBERS_READ]},
        {"name": "till", "key": TILL_KEY, "scopes": [SCOPE_REDEEM, SCOPE_MEMBERS_READ]},
        {"name": "admin", "key": ADMIN_KEY, "scopes": [SCOPE_ADMIN]},
        {"name": "manager", "key": MANAGER_KEY, "scopes": [SCOPE_ADMIN, SCOPE_MEMBERS_READ]},
        {"name": "analyst", "key": ANALYST_KEY, "scopes": [SCOPE_REPORTS]},
        {"name": "desk", "key": DESK_KEY, "scopes": [SCOPE_MEMBERS_READ, SCOPE_MEMBERS_WRITE]},
        {"name": "fuzzer", "key": ALL_SCOPES_KEY, "scopes": ["*"]},
        {"name": "coffee", "key": COFFEE_KEY, "scopes": ["partner:coffee"]},
        {"name": "bank", "key": BANK_KEY, "scopes": ["partner:bank"]},
    ]
)


def auth_settings() -> AuthSettings:
    return AuthSettings(api_keys=API_KEYS, member_token_secret=TOKEN_SECRET)


@asynccontextmanager
async def serving(app: FastAPI, *, ready: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan; with ``ready``, once /readyz says the workers run."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            if ready:
                await eventually(
                    lambda: client.get("/readyz"),
                    lambda r: r.status_code == 200,
                    timeout=60,
                    interval=0.05,
                    what="the service ready",
                )
            yield client
