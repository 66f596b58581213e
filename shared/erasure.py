"""What every service keeps of an erased member: a digest of their id and when, so that a
later event for them is refused instead of silently making them a member again.

The digest is SHA-256 of the member id: it cannot be read back into the id, only matched
against an id someone already has (a till sending an event for that member). Rows a service
keeps for its books (the ledger's entries, the rules' purchases) move to an *opaque key*,
``~`` and random hex: a member id cannot start with ``~``, so a key is never taken for one."""

import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bulk import insert_rows
from shared.contracts.envelope import CloudEvent, InvalidMessage, derived_id, new_event
from shared.contracts.erasure import MEMBER_ERASED, MemberErased
from shared.contracts.inbound import payload_of
from shared.db import UtcDateTime, one_of
from shared.uow import Transaction

log = logging.getLogger(__name__)
ANONYMOUS = "~"


def digest(member_id: str) -> str:
    return hashlib.sha256(member_id.encode()).hexdigest()


def anonymous_key() -> str:
    """An opaque key for rows kept after the member who made them is forgotten."""
    return ANONYMOUS + secrets.token_hex(16)


def is_anonymous(member_id: str) -> bool:
    return member_id.startswith(ANONYMOUS)


def erased_members_table(metadata: MetaData) -> Table:
    return Table(
        "erased_members",
        metadata,
        Column("digest", String(64), primary_key=True),
        Column("erased_at", UtcDateTime(), nullable=False),
    )


class ErasingTransaction(Transaction, Protocol):
    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        """Forget the member (and queue the news, where the service tells it); False if
        they were forgotten before."""
        ...


async def erase_once(uow: ErasingTransaction, member_id: str, erasure_event_id: str) -> bool:
    """A service's use case for an erasure: one transaction, once (False for a repeat)."""
    async with uow:
        erased = await uow.erase(member_id, erasure_event_id, datetime.now(UTC))
        if erased:
            await uow.commit()
    return erased


@dataclass(frozen=True, slots=True)
class EraseMember:
    """Forget the member (asked by ``erasure_event_id``)."""

    member_id: str
    erasure_event_id: str


def erasure_from_news(event: CloudEvent) -> EraseMember:
    """The translator for ``member.erased``: another service forgot the member, so do we."""
    erased = payload_of(event, MemberErased)
    return EraseMember(erased.member_id, erased.erasure_event_id)


def erasure_cut(
    command_of: Callable[[CloudEvent], Any],
    uow_factory: Callable[[], ErasingTransaction],
    on_done: Callable[[], None] = lambda: None,
) -> Callable[[CloudEvent], Awaitable[str | None]]:
    """A consumer's handler for the erasure that cuts its chunk: the event's
    :class:`EraseMember` (by ``command_of``, the consumer's dispatch), carried out once;
    ``on_done`` after (e.g. to wake the outbox relay). A malformed message's reason to
    dead-letter it."""

    async def erase(event: CloudEvent) -> str | None:
        try:
            command: EraseMember = command_of(event)
        except InvalidMessage as exc:
            return str(exc)
        await erase_once(uow_factory(), command.member_id, command.erasure_event_id)
        on_done()
        return None

    return erase


def create_erased_members(op: Any) -> None:
    """For a service's migration (``op``: alembic.op)."""
    op.create_table(
        "erased_members",
        Column("digest", String(64), primary_key=True),
        Column("erased_at", UtcDateTime(), nullable=False),
    )


class MemberWasErased(Exception):
    """An event or request for a member who was erased: refused (HTTP 410), never
    recreating them."""

    def __init__(self, member_id: str, erased_at: datetime) -> None:
        super().__init__(
            f"member {member_id} was erased on {erased_at.date().isoformat()}: "
            "nothing is kept or accepted for them any more"
        )
        self.member_id = member_id
        self.erased_at = erased_at


async def erased_among(
    session: AsyncSession, table: Table, member_ids: Collection[str]
) -> dict[str, datetime]:
    """The erased members among ``member_ids``, with when: one query."""
    if not member_ids:
        return {}
    by_digest = {digest(m): m for m in member_ids}
    dialect = session.get_bind().dialect.name
    rows = await session.execute(
        select(table.c.digest, table.c.erased_at).where(
            one_of(table.c.digest, sorted(by_digest), dialect)
        )
    )
    return {by_digest[r.digest]: r.erased_at for r in rows}


async def refuse_if_erased(session: AsyncSession, table: Table, member_id: str) -> None:
    erased = await erased_among(session, table, [member_id])
    if member_id in erased:
        raise MemberWasErased(member_id, erased[member_id])


async def record_erasure(session: AsyncSession, table: Table, member_id: str, at: datetime) -> bool:
    """Remember the member as erased; False if they already were (a repeat)."""
    written = await insert_rows(
        session,
        table,
        [{"digest": digest(member_id), "erased_at": at}],
        on_conflict="nothing",
        key=["digest"],
        returning="digest",
    )
    return bool(written)


def erased_event(service: str, member_id: str, erasure_event_id: str, at: datetime) -> CloudEvent:
    """The news that ``service`` forgot the member."""
    payload = MemberErased(member_id=member_id, erasure_event_id=erasure_event_id, erased_at=at)
    return new_event(
        id=derived_id(erasure_event_id, "erased", service),
        source=f"pointstream/{service}",
        type=MEMBER_ERASED,
        subject=member_id,
        data=payload.model_dump(mode="json"),
        time=at,
    )


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
        self._sessions, self._table, self._max_age = sessions, table, max_age
        self._digests: dict[str, datetime] = {}
        self._read_at = float("-inf")
        self._since: datetime | None = None  # erasures before this are all read

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        if time.monotonic() - self._read_at > self._max_age:
            try:
                await self._read_newer()
            except (DBAPIError, OSError) as exc:  # the database away: ingest goes on
                log.warning("erased members not read; the consumers still refuse them: %r", exc)
                self._read_at = time.monotonic() - self._max_age + 1  # again in a second
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
        self._since, self._read_at = started, time.monotonic()

    def add(self, member_id: str, at: datetime) -> None:
        """The member's erasure was asked for here: refuse their events from now on."""
        self._digests[digest(member_id)] = at


_OVERLAP = timedelta(minutes=1)


class ErasureStatus(BaseModel):
    service: str
    member_id: str
    erased: bool
    erased_at: datetime | None


async def erasure_status(
    sessions: async_sessionmaker[AsyncSession], table: Table, service: str, member_id: str
) -> ErasureStatus:
    """Whether ``service`` has forgotten the member (for ``GET /v1/members/{id}/erasure``)."""
    async with sessions() as session:
        at = (await erased_among(session, table, [member_id])).get(member_id)
    return ErasureStatus(service=service, member_id=member_id, erased=at is not None, erased_at=at)
