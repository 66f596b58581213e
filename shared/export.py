"""A member's data as one JSON document: the right of access and of portability (GDPR art. 15,
20). Long histories are read from the database in pages of rows, in one snapshot, into a spooled
file (memory up to a megabyte, then disk), so no history is ever held whole in memory; the
database connection goes back to the pool as soon as the reading is done, and the file then
streams at whatever pace the client reads. At most ``MAX_EXPORTS`` exports run at once in a
process: beyond, 429 with ``Retry-After``, so exports cannot starve the service."""

import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import IO, Any

import orjson
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import ColumnElement, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Receive, Scope, Send

from shared.http import problem

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


MAX_EXPORTS = 3  # at once, per process
RETRY_AFTER_SECONDS = 10
_SPOOL_BYTES = 1_048_576
_CHUNK = 65_536
_running = 0


async def _spooled(
    sessions: async_sessionmaker[AsyncSession],
    header: dict[str, Any],
    sections: Sequence[Section],
) -> IO[bytes]:
    """The whole document in a spooled file, read in one snapshot; the connection is back in
    the pool when this returns."""
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115 - streamed, closed after
    try:
        out.write(_json(header)[:-1])  # the header's fields (never none), the object left open
        async with sessions() as session, session.begin():  # one snapshot for the document
            for name, read in sections:
                out.write(b", " + _json(name) + b": [")
                first = True
                async for item in read(session):
                    out.write((b"" if first else b", ") + _json(item))
                    first = False
                out.write(b"]")
        out.write(b"}\n")
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out


async def _document(
    sessions: async_sessionmaker[AsyncSession],
    header: dict[str, Any],
    sections: Sequence[Section],
) -> AsyncIterator[bytes]:
    spooled = await _spooled(sessions, header, sections)
    try:
        while chunk := spooled.read(_CHUNK):
            yield chunk
    finally:
        spooled.close()


class _Export(StreamingResponse):
    """Holds one of the process's export places from when it is made until it has been sent
    (or the client went away)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        global _running
        try:
            await super().__call__(scope, receive, send)
        finally:
            _running -= 1


def export_response(
    sessions: async_sessionmaker[AsyncSession],
    header: dict[str, Any],
    sections: Sequence[Section],
    *,
    filename: str,
) -> Response:
    """``header`` (a few fields) then each section as an array; 429 when ``MAX_EXPORTS`` are
    running already."""
    global _running
    if _running >= MAX_EXPORTS:
        return problem(
            429,
            "Too many requests",
            f"{MAX_EXPORTS} exports are running on this replica: try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    _running += 1
    return _Export(
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
) -> Response:
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
