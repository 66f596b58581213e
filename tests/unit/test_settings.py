"""Settings as operators write them."""

import pytest

from services.ledger.settings import LedgerSettings


@pytest.mark.parametrize(
    ("given", "used"),
    [
        # As CloudNativePG (and most platforms) write it: the services' driver is added.
        ("postgresql://app:pw@db-rw:5432/ledger", "postgresql+asyncpg://app:pw@db-rw:5432/ledger"),
        ("postgres://app:pw@db:5432/ledger", "postgresql+asyncpg://app:pw@db:5432/ledger"),
        ("postgresql+asyncpg://a:b@h/l", "postgresql+asyncpg://a:b@h/l"),
        ("", "sqlite+aiosqlite:///var/ledger.db"),
    ],
)
def test_a_plain_postgresql_url_gets_the_async_driver(
    given: str, used: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGER_DATABASE_URL", given)
    assert LedgerSettings().database_url == used
