"""The read a mobile app makes most: a member's balance.

On PostgreSQL it skips the ORM and the transaction: one prepared statement on a small asyncpg
pool of its own, one round trip (a session would add a ping, BEGIN and ROLLBACK). Elsewhere
(SQLite), and for a member it does not find, ``views.balance_answer`` reads through a session
like every other view."""

import asyncio
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

_BALANCE = (
    "SELECT available, pending, held, lifetime_earned, lifetime_redeemed, updated_at "
    "FROM balances WHERE member_id = $1"
)
_BROKEN = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)


class _ReadOnlyConnection(asyncpg.Connection):  # type: ignore[misc]
    """Used for one SELECT at a time, outside transactions: nothing to reset on release
    (the default reset is one more round trip per read)."""

    def get_reset_query(self) -> str:
        return ""


class BalanceReader:
    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self._dsn = (
            url.set(drivername="postgresql").render_as_string(hide_password=False)
            if url.get_backend_name() == "postgresql"
            else None
        )
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def balance(self, member_id: str) -> dict[str, Any] | None:
        """The member's balance as the API answers it, read in one round trip; None where
        this read does not answer (SQLite, an unknown or erased member): the view does."""
        if self._dsn is None:
            return None
        try:
            row = await (await self._connected()).fetchrow(_BALANCE, member_id)
        except _BROKEN:  # a connection the database dropped (a restart): once more, afresh
            row = await (await self._connected()).fetchrow(_BALANCE, member_id)
        if row is None:
            return None
        updated: datetime | None = row["updated_at"]
        return {
            "member_id": member_id,
            "available": row["available"],
            "pending": row["pending"],
            "held": row["held"],
            "lifetime_earned": row["lifetime_earned"],
            "lifetime_redeemed": row["lifetime_redeemed"],
            "updated_at": updated.isoformat().replace("+00:00", "Z") if updated else None,
        }

    async def _connected(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(
                        self._dsn,
                        min_size=1,
                        max_size=8,
                        max_inactive_connection_lifetime=60,
                        connection_class=_ReadOnlyConnection,
                    )
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
