"""The ``erased_members`` table every service keeps, and the queries on it."""

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Column, MetaData, Select, String, Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bulk import insert_rows
from shared.db import UtcDateTime, any_of
from shared.erasure.keys import digest
from shared.erasure.model import ErasureStatus, MemberWasErased


def erased_members_table(metadata: MetaData) -> Table:
    return Table(
        "erased_members",
        metadata,
        Column("digest", String(64), primary_key=True),
        Column("erased_at", UtcDateTime(), nullable=False),
    )


# The advisory locks that order an erasure with the writes about the same member: the
# two-key space (apart from the outbox relay's one-key lock), first key this one.
_ERASURE_LOCKS = 0x45524153  # "ERAS"
_SHARED = text("SELECT pg_advisory_xact_lock_shared(:space, k) FROM unnest(CAST(:keys AS int[])) k")
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:space, k) FROM unnest(CAST(:keys AS int[])) k")


async def _hold(session: AsyncSession, digests: Collection[str], *, exclusive: bool) -> None:
    """Lock the members until the transaction ends (PostgreSQL; one statement, in key order):
    shared by whoever checks for an erasure before writing about them, exclusive by the
    erasure. Without it a chunk that checked while an erasure was not yet committed wrote
    about the member after the erasure had deleted what it held (found by the chaos run)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite (unit tests) has one writer at a time
    keys = sorted({int(d[:8], 16) - 2**31 for d in digests})
    await session.execute(
        _EXCLUSIVE if exclusive else _SHARED, {"space": _ERASURE_LOCKS, "keys": keys}
    )


async def erased_among(
    session: AsyncSession, table: Table, member_ids: Collection[str]
) -> dict[str, datetime]:
    """The erased members among ``member_ids``, with when. On PostgreSQL the members are
    held (a shared lock) until the transaction ends, so what it then writes about them
    cannot land after an erasure of one of them: an erasure under way is waited for and
    then seen. Two statements."""
    if not member_ids:
        return {}
    by_digest = {digest(m): m for m in member_ids}
    await _hold(session, by_digest.keys(), exclusive=False)
    query = _erased(table, session.get_bind().dialect.name)
    rows = await session.execute(query, {"digests": sorted(by_digest)})
    return {by_digest[r.digest]: r.erased_at for r in rows}


async def refuse_if_erased(session: AsyncSession, table: Table, member_id: str) -> None:
    erased = await erased_among(session, table, [member_id])
    if member_id in erased:
        raise MemberWasErased(member_id, erased[member_id])


async def record_erasure(session: AsyncSession, table: Table, member_id: str, at: datetime) -> bool:
    """Remember the member as erased; False if they already were (a repeat). The member is
    held (an exclusive lock) until the transaction ends: a chunk that checked for erasures
    before writing about them waits (:func:`erased_among`)."""
    await _hold(session, [digest(member_id)], exclusive=True)
    written = await insert_rows(
        session,
        table,
        [{"digest": digest(member_id), "erased_at": at}],
        on_conflict="nothing",
        key=["digest"],
        returning="digest",
    )
    return bool(written)


async def erasure_status(
    sessions: async_sessionmaker[AsyncSession], table: Table, service: str, member_id: str
) -> ErasureStatus:
    """Whether ``service`` has forgotten the member (for ``GET /v1/members/{id}/erasure``)."""
    async with sessions() as session:
        at = (await erased_among(session, table, [member_id])).get(member_id)
    return ErasureStatus(service=service, member_id=member_id, erased=at is not None, erased_at=at)


@cache
def _erased(table: Table, dialect: str) -> Select[Any]:
    """The erased members among the digests (``digests``), with when."""
    return select(table.c.digest, table.c.erased_at).where(
        any_of(table.c.digest, "digests", dialect)
    )
