"""Alembic plumbing: every service's ``migrations/env.py`` calls :func:`run_migrations`."""

import asyncio

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from shared.db import create_engine


def run_migrations(metadata: MetaData, default_url: str) -> None:
    """Migrate the database at ``-x url=...``, else ``sqlalchemy.url``, else the default."""
    config = context.config
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or default_url
    )
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online(metadata, url))


async def _run_online(metadata: MetaData, url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_migrate, metadata)
    finally:
        await engine.dispose()


def _migrate(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
