"""The ``erased_members`` table every service keeps, and the queries on it."""

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.bulk import insert_rows
from shared.db import UtcDateTime, one_of
from shared.erasure.keys import digest
from shared.erasure.model import ErasureStatus, MemberWasErased


def erased_members_table(metadata: MetaData) -> Table:
    return Table(
        "erased_members",
        metadata,
        Column("digest", String(64), primary_key=True),
        Column("erased_at", UtcDateTime(), nullable=False),
    )


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


async def erasure_status(
    sessions: async_sessionmaker[AsyncSession], table: Table, service: str, member_id: str
) -> ErasureStatus:
    """Whether ``service`` has forgotten the member (for ``GET /v1/members/{id}/erasure``)."""
    async with sessions() as session:
        at = (await erased_among(session, table, [member_id])).get(member_id)
    return ErasureStatus(service=service, member_id=member_id, erased=at is not None, erased_at=at)
