"""Opaque cursors over an increasing integer key, for newest-first pages."""

import base64
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, select
from sqlalchemy.ext.asyncio import AsyncSession


class InvalidCursor(ValueError):
    pass


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except ValueError as exc:
        raise InvalidCursor("the cursor is not one this API returned") from exc


async def newest_first(
    session: AsyncSession,
    table: Table,
    *,
    where: ColumnElement[bool],
    limit: int,
    cursor: str | None,
) -> tuple[list[Row[Any]], str | None]:
    """One page of ``table``'s rows matching ``where``, newest (highest ``id``) first, and the
    cursor of the next page (None on the last)."""
    query = select(table).where(where)
    if cursor is not None:
        query = query.where(table.c.id < decode_cursor(cursor))
    rows = list((await session.execute(query.order_by(table.c.id.desc()).limit(limit + 1))).all())
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None
