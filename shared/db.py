"""Database plumbing: an async engine for PostgreSQL (production) or SQLite (embedded default)."""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Dialect,
    Executable,
    Table,
    TextClause,
    TypeDecorator,
    any_,
    bindparam,
    event,
    literal,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.contracts.json import dumps_column, loads_column


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            hide_parameters=True,
            json_serializer=dumps_column,
            json_deserializer=loads_column,
            **kwargs,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    # hide_parameters: errors and logs show the SQL, never the values (member data, tokens).
    # force_custom_plan: a chunk's `= ANY($1)` lookups are planned for the ids they carry. A
    # generic plan, cached once a table was small, kept scanning whole tables as they grew.
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"server_settings": {"plan_cache_mode": "force_custom_plan"}},
        json_serializer=dumps_column,
        json_deserializer=loads_column,
        **kwargs,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Let SQLAlchemy, not the driver, open transactions (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, not at its first write: two
    transactions that read and then write would otherwise deadlock and fail at once."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware UTC time")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upsert_many(
    table: Table,
    *,
    key: str | Sequence[str],
    dialect: str,
    update: bool = True,
    where: ColumnElement[bool] | TextClause | None = None,
) -> Executable:
    """INSERT ... ON CONFLICT (key) DO UPDATE (or DO NOTHING), for PostgreSQL and SQLite,
    without values: execute it with a list of rows (one statement for all of them, compiled
    once and cached); ``where`` limits which existing rows are updated."""
    keys = [key] if isinstance(key, str) else list(key)
    insert_into = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert_into(table)
    if not update:
        return statement.on_conflict_do_nothing(index_elements=keys)
    changing = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=changing, where=where)


def any_of(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column = ANY(:name)`` on PostgreSQL, ``IN (:name)`` elsewhere, the values a list given
    at execution: for a statement built once per dialect (``functools.cache``). Building a
    statement and its cache key costs more than executing it (~250 µs a statement): at a
    chunk of a few events that was most of a chunk's time."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def one_of(
    column: ColumnElement[Any], values: Collection[Any], dialect: str
) -> ColumnElement[bool]:
    """``column = ANY(:values)`` on PostgreSQL: one statement text (prepared once) whatever the
    number of values; ``IN (...)`` elsewhere."""
    if dialect == "postgresql":
        return column == any_(literal(list(values), postgresql.ARRAY(column.type)))
    return column.in_(list(values))
