"""The console's sign-in, as someone guessing admin keys meets it: at most 10 tries a minute
from one address, then 429 with Retry-After; another address is not held back. (The whole
console against the running services: tests/e2e/test_console.py.)"""

import httpx
import pytest
from fastapi import FastAPI

from services.console.bootstrap import build_app
from services.console.settings import ConsoleSettings

pytestmark = pytest.mark.integration


def from_address(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://console")


async def test_sign_in_tries_from_one_address_are_limited() -> None:
    app = build_app(ConsoleSettings(rules_url="http://127.0.0.1:9"))  # nothing answers there
    async with from_address(app, "203.0.113.7") as guesser:
        answers = [
            (await guesser.post("/login", data={"key": f"guess-{n}"})).status_code
            for n in range(11)
        ]
        assert 429 not in answers[:10]
        assert answers[10] == 429
        held = await guesser.post("/login", data={"key": "guess-11"})
        assert held.status_code == 429
        assert 1 <= int(held.headers["Retry-After"]) <= 60
        assert "Too many sign-in attempts" in held.text
    async with from_address(app, "203.0.113.8") as someone_else:
        assert (await someone_else.post("/login", data={"key": "k"})).status_code != 429
