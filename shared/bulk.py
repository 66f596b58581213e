"""Writing a chunk's rows with one statement per table.

On PostgreSQL the rows travel as one array per column and the statement reads them with
``unnest``: one prepared statement and one execution, whatever the number of rows (an
``executemany`` would run the statement once per row). Elsewhere (SQLite, the embedded
default) the rows go through SQLAlchemy's ``executemany``.
"""

from collections.abc import Awaitable, Callable, Collection, Sequence
from functools import lru_cache
from typing import Any, Literal, TypeVar

from sqlalchemy import JSON, Table, TextClause, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.json import dumps_column
from shared.db import upsert_many

Conflict = Literal["error", "nothing", "update"]
T = TypeVar("T")
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    on_conflict: Conflict = "error",
    key: Sequence[str] = (),
    returning: str | None = None,
    update_where: str | None = None,
) -> list[Any]:
    """Insert ``rows`` (all with the same columns). ``on_conflict`` with ``key``: skip rows
    already there, or update them (the last row of a key wins; ``update_where``, an SQL
    condition on ``EXCLUDED`` and the table, limits which). The ``returning`` column of the
    rows written (PostgreSQL and SQLite)."""
    if not rows:
        return []
    if on_conflict == "update":
        rows = list({tuple(r[k] for k in key): r for r in rows}.values())
    columns = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        sql = _insert_sql(table, columns, on_conflict, tuple(key), returning, update_where)
        result = await session.execute(_clause(sql), _arrays(table, columns, rows))
        return list(result.scalars()) if returning else []
    if on_conflict == "error":
        statement: Any = insert(table)
    else:
        dialect = session.get_bind().dialect.name
        statement = upsert_many(
            table,
            key=key,
            dialect=dialect,
            update=on_conflict == "update",
            where=text(update_where) if update_where else None,
        )
    if returning:
        found = await session.scalars(statement.returning(table.c[returning]), list(rows))
        return list(found)
    await session.execute(statement, list(rows))
    return []


async def locked_or_seeded(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    lock: Callable[[list[str]], Awaitable[dict[str, T]]],
    seed: Callable[[list[str]], list[dict[str, Any]]],
    never: Callable[[list[str]], Awaitable[Collection[str]]] | None = None,
) -> dict[str, T]:
    """The rows of ``keys`` locked until commit, those missing seeded first. ``lock`` reads
    and locks rows (``SELECT ... FOR UPDATE`` in key order); ``seed`` makes the rows of new
    keys; ``never`` names missing keys that must not be seeded (they are left out). The rows
    there are locked first, then the missing ones are inserted (a writer inserting the same
    key waits for the other's) and locked: every writer takes its locks in key order, so two
    that share keys queue instead of deadlocking, and a chunk of known keys costs one
    statement."""
    ordered = sorted(keys)
    if not ordered:
        return {}
    found = await lock(ordered)
    missing = [k for k in ordered if k not in found]
    if missing and never is not None:
        refused = set(await never(missing))
        missing = [k for k in missing if k not in refused]
    if missing:
        key = table.primary_key.columns.values()[0].name
        await insert_rows(session, table, seed(missing), on_conflict="nothing", key=[key])
        found |= await lock(missing)
    return found


async def update_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *, key: str
) -> None:
    """Set the other columns of each row found by ``key`` (one row per key)."""
    if not rows:
        return
    columns = tuple(rows[0])
    if session.get_bind().dialect.name == "postgresql":
        sql = _update_sql(table, columns, key)
        await session.execute(_clause(sql), _arrays(table, columns, rows))
        return
    statement = (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({c: bindparam(f"b_{c}") for c in columns if c != key})
    )
    await session.execute(statement, [{f"b_{c}": r[c] for c in columns} for r in rows])


def _arrays(
    table: Table, columns: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    arrays = {}
    for i, (column, json) in enumerate(_json_columns(table, columns)):
        values = [r[column] for r in rows]
        if json:
            values = [None if v is None else dumps_column(v) for v in values]
        arrays[f"c{i}"] = values
    return arrays


@lru_cache(maxsize=256)
def _json_columns(table: Table, columns: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    """Each column, and whether it holds JSON."""
    return tuple((c, isinstance(table.c[c].type, JSON)) for c in columns)


@lru_cache(maxsize=256)
def _clause(sql: str) -> TextClause:
    """The statement, parsed for its parameters once (``text()`` costs a regex pass a call,
    which at chunks of one event was a tenth of a chunk's time)."""
    return text(sql)


@lru_cache(maxsize=256)
def _unnest(table: Table, columns: tuple[str, ...]) -> str:
    casts = ", ".join(
        f"CAST(:c{i} AS {table.c[c].type.compile(dialect=_PG)}[])" for i, c in enumerate(columns)
    )
    names = ", ".join(columns)
    return f"unnest({casts}) AS v({names})"


@lru_cache(maxsize=256)
def _insert_sql(
    table: Table,
    columns: tuple[str, ...],
    on_conflict: Conflict,
    key: tuple[str, ...],
    returning: str | None,
    update_where: str | None,
) -> str:
    # Every name comes from the table's own metadata, never from a request.
    names = ", ".join(columns)
    sql = f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {_unnest(table, columns)}"  # noqa: S608
    if on_conflict == "nothing":
        sql += f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
    elif on_conflict == "update":
        changing = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        sql += f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {changing}"
        if update_where:
            sql += f" WHERE {update_where}"
    if returning:
        sql += f" RETURNING {returning}"
    return sql


@lru_cache(maxsize=256)
def _update_sql(table: Table, columns: tuple[str, ...], key: str) -> str:
    changing = ", ".join(f"{c} = v.{c}" for c in columns if c != key)
    return (
        f"UPDATE {table.name} SET {changing} FROM {_unnest(table, columns)} "  # noqa: S608
        f"WHERE {table.name}.{key} = v.{key}"
    )
