"""The erased members' digests in memory, for the ingest API."""

import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.erasure.keys import digest
from shared.freshness import Freshness

log = logging.getLogger(__name__)


class ErasedCache:
    """The erased members' digests, read again at most every ``max_age`` seconds: for the
    ingest API, which refuses events for them without a query per request (and keeps taking
    events while the database is away: the consumers refuse an erased member's anyway). The
    replica that takes an erasure request refuses the member's events from that moment
    (:meth:`add`); another replica, within ``max_age``: an event it accepts meanwhile comes
    after the request on the member's partition and is refused by the consumer
    (dead-lettered, with the reason)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], table: Table, max_age: float = 5.0
    ) -> None:
        self._sessions, self._table = sessions, table
        self._freshness = Freshness(max_age)
        self._digests: dict[str, datetime] = {}
        self._since: datetime | None = None  # erasures before this are all read

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        try:
            await self._freshness.refresh(self._read_newer)
        except (DBAPIError, OSError) as exc:  # the database away: ingest goes on
            log.warning("erased members not read; the consumers still refuse them: %r", exc)
            self._freshness.again_in(1.0)
        found = {m: self._digests.get(digest(m)) for m in member_ids}
        return {m: at for m, at in found.items() if at is not None}

    async def _read_newer(self) -> None:
        """The erasures since the last read (a minute's overlap: one recorded just before
        the last read may have committed after it)."""
        started = datetime.now(UTC)
        query = select(self._table.c.digest, self._table.c.erased_at)
        if self._since is not None:
            query = query.where(self._table.c.erased_at >= self._since - _OVERLAP)
        async with self._sessions() as session:
            self._digests.update({r.digest: r.erased_at for r in await session.execute(query)})
        self._since = started

    def add(self, member_id: str, at: datetime) -> None:
        """The member's erasure was asked for here: refuse their events from now on."""
        self._digests[digest(member_id)] = at


_OVERLAP = timedelta(minutes=1)
