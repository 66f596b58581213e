"""The ingest's cache of erased members: what it refuses, and that a database away does not stop
the ingest (the consumers still refuse an erased member's events)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import OperationalError

from services.rules.adapters.orm import erased_members
from shared.erasure.cache import ErasedCache


class _Away:
    """A session factory whose database does not answer."""

    def __call__(self) -> Any:
        raise OperationalError("SELECT", {}, ConnectionRefusedError("the database is away"))


async def test_a_database_away_leaves_the_ingest_taking_events_and_the_cache_as_it_was() -> None:
    cache = ErasedCache(_Away(), erased_members)  # type: ignore[arg-type]
    at = datetime.now(UTC)
    cache.add("anna", at)  # asked for here: refused at once
    assert await cache.erased(["anna", "bo"]) == {"anna": at}
    assert await cache.erased(["bo"]) == {}
