"""Refusals of keyed requests, kept under their operation id like a success is (the
``refusals`` table): a later request with the same key is told the same."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import refusals
from shared.bulk import insert_rows


class KeptRefusals:
    _session: AsyncSession

    async def refusal(self, operation_id: str) -> tuple[str, str, str] | None:
        row = (
            await self._session.execute(
                select(refusals.c.fingerprint, refusals.c.error, refusals.c.detail).where(
                    refusals.c.operation_id == operation_id
                )
            )
        ).first()
        return None if row is None else (row.fingerprint, row.error, row.detail)

    async def keep_refusal(
        self, operation_id: str, fingerprint: str, error: str, detail: str, at: datetime
    ) -> None:
        row = {
            "operation_id": operation_id,
            "fingerprint": fingerprint,
            "error": error,
            "detail": detail[:1000],
            "refused_at": at,
        }
        await insert_rows(
            self._session, refusals, [row], on_conflict="nothing", key=["operation_id"]
        )
