"""A member's data as one JSON document, written as it is read: the right of access and of
portability (GDPR art. 15, 20). Long histories stream from the database in pages of rows and
leave as they come, so no history is ever held whole in memory."""

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi.responses import StreamingResponse
from sqlalchemy import ColumnElement, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Section = tuple[str, Callable[[AsyncSession], AsyncIterator[Any]]]


def _json(value: Any) -> bytes:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


PAGE = 500


def rows_of(query: Select[Any]) -> Callable[[AsyncSession], AsyncIterator[dict[str, Any]]]:
    """A section read with a server-side cursor, ``PAGE`` rows at a time."""

    async def read(session: AsyncSession) -> AsyncIterator[dict[str, Any]]:
        result = await session.stream(query.execution_options(yield_per=PAGE))
        async for row in result.mappings():
            yield dict(row)

    return read


async def _document(
    sessions: async_sessionmaker[AsyncSession],
    header: dict[str, Any],
    sections: Sequence[Section],
) -> AsyncIterator[bytes]:
    yield _json(header)[:-1]  # the header's fields (never none), the object left open
    async with sessions() as session, session.begin():  # one snapshot for the whole document
        for name, read in sections:
            yield b", " + _json(name) + b": ["
            first = True
            async for item in read(session):
                yield (b"" if first else b", ") + _json(item)
                first = False
            yield b"]"
    yield b"}\n"


def export_response(
    sessions: async_sessionmaker[AsyncSession],
    header: dict[str, Any],
    sections: Sequence[Section],
    *,
    filename: str,
) -> StreamingResponse:
    """``header`` (a few fields) then each section as an array, streamed."""
    return StreamingResponse(
        _document(sessions, header, sections),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def member_export(
    sessions: async_sessionmaker[AsyncSession],
    service: str,
    member_id: str,
    tables: Sequence[tuple[str, Table, Sequence[ColumnElement[Any]]]],
    where: Mapping[str, ColumnElement[bool]] | None = None,
) -> StreamingResponse:
    """The member's rows of each ``(section, table, order)``: found by ``member_id``, or by
    the section's condition in ``where``."""
    where = where or {}

    def condition(name: str, table: Table) -> ColumnElement[bool]:
        found = where.get(name)
        return table.c.member_id == member_id if found is None else found

    header = {
        "service": service,
        "member_id": member_id,
        "exported_at": datetime.now(UTC).isoformat(),
    }
    sections = [
        (
            name,
            rows_of(select(table).where(condition(name, table)).order_by(*order)),
        )
        for name, table, order in tables
    ]
    return export_response(sessions, header, sections, filename=f"{service}-{member_id}.json")
