"""What the notification service writes, and reads to write, besides members: the inbox, the
deliveries of its messages, and the templates they are written from."""

from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.adapters.orm import deliveries, inbox, templates, used_sign_ins
from services.notifications.domain.deliveries import FINISHED, Delivery, DeliveryStatus
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.notices import Channel
from shared.bulk import insert_rows


class InboxRepository:
    """Inbox messages and deliveries: one statement per kind of row."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def forget_older(self, messages_before: datetime, deliveries_before: datetime) -> int:
        """Delete inbox messages created before ``messages_before`` and finished deliveries
        (sent, given up, folded into a digest) created before ``deliveries_before``: they hold
        members' personal data (addresses, texts). How many rows went."""
        finished = sorted(status.value for status in FINISHED)
        gone = await self.session.execute(delete(inbox).where(inbox.c.created_at < messages_before))
        logs = await self.session.execute(
            delete(deliveries).where(
                deliveries.c.created_at < deliveries_before, deliveries.c.status.in_(finished)
            )
        )
        links = await self.session.execute(
            delete(used_sign_ins).where(used_sign_ins.c.expires_at < datetime.now(UTC))
        )
        return int(
            (gone.rowcount or 0) + (logs.rowcount or 0) + (links.rowcount or 0)  # type: ignore[attr-defined]
        )

    async def mark_read(self, member_id: str, message_id: str) -> bool:
        """Whether an unread message of the member's was marked read now."""
        result = await self.session.execute(
            update(inbox)
            .where(
                inbox.c.member_id == member_id,
                inbox.c.message_id == message_id,
                inbox.c.read_at.is_(None),
            )
            .values(read_at=datetime.now(UTC))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_all(
        self, messages: list[InboxMessage], new_deliveries: list[Delivery]
    ) -> set[str]:
        """Insert what is not there yet, one statement per table; the ids inserted."""
        written = await insert_rows(
            self.session,
            inbox,
            [_shallow(m) for m in messages],
            on_conflict="nothing",
            key=["message_id"],
            returning="message_id",
        )
        written += await insert_rows(
            self.session,
            deliveries,
            [_delivery_row(d) for d in new_deliveries],
            on_conflict="nothing",
            key=["delivery_id"],
            returning="delivery_id",
        )
        return set(written)

    async def save_delivery(self, d: Delivery) -> None:
        row = _delivery_row(d)
        await self.session.execute(
            update(deliveries).where(deliveries.c.delivery_id == d.delivery_id).values(**row)
        )

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        """Deliveries to attempt now, leased for ``lease`` so that no other replica (nor this one,
        should it crash mid-send) attempts them again before it runs out."""
        rows = await self.session.execute(
            select(deliveries)
            .where(
                or_(
                    deliveries.c.status == DeliveryStatus.QUEUED.value,
                    deliveries.c.status == DeliveryStatus.FAILED.value,
                ),
                deliveries.c.next_attempt_at <= now,
            )
            .order_by(deliveries.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        due = [delivery_of(r._mapping) for r in rows]
        if due:
            await self.session.execute(
                update(deliveries)
                .where(deliveries.c.delivery_id.in_([d.delivery_id for d in due]))
                .values(next_attempt_at=now + lease)
            )
        for d in due:
            d.next_attempt_at = now + lease  # the lease this replica holds
        return due

    async def renew_lease(self, held: Sequence[Delivery], until: datetime) -> bool:
        """Extend this replica's lease of ``held`` to ``until``, all of them or none: False
        when any is no longer ours (its lease ran out and another replica took it, or it was
        done). Fencing by the lease each holds, so a slow replica never sends what another
        took over."""
        ids = [d.delivery_id for d in held]
        renewed = await self.session.execute(
            update(deliveries)
            .where(
                deliveries.c.delivery_id.in_(ids),
                deliveries.c.next_attempt_at == held[0].next_attempt_at,
                deliveries.c.status.in_([DeliveryStatus.QUEUED.value, DeliveryStatus.FAILED.value]),
            )
            .values(next_attempt_at=until)
            .returning(deliveries.c.delivery_id)
        )
        if len(renewed.all()) != len(ids):
            return False
        for d in held:
            d.next_attempt_at = until
        return True


class TemplatesRepository:
    """The texts of the messages, per kind and language."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all_templates(self) -> dict[tuple[str, str], tuple[str, str]]:
        rows = await self.session.execute(
            select(templates.c.kind, templates.c.language, templates.c.title, templates.c.body)
        )
        return {(r.kind, r.language): (r.title, r.body) for r in rows}

    async def template(self, kind: str, language: str) -> tuple[str, str] | None:
        """The template for ``kind`` in ``language``, else in English."""
        rows = (
            await self.session.execute(
                select(templates).where(
                    templates.c.kind == kind, templates.c.language.in_([language, "en"])
                )
            )
        ).all()
        by_language = {r.language: (r.title, r.body) for r in rows}
        return by_language.get(language) or by_language.get("en")

    async def save_template(self, kind: str, language: str, title: str, body: str) -> None:
        await insert_rows(
            self.session,
            templates,
            [
                {
                    "kind": kind,
                    "language": language,
                    "title": title,
                    "body": body,
                    "updated_at": datetime.now(UTC),
                }
            ],
            on_conflict="update",
            key=["kind", "language"],
        )


def _shallow(item: Any) -> dict[str, Any]:
    """A dataclass's fields as a row (``asdict`` deep-copies every value, for every row)."""
    return {f.name: getattr(item, f.name) for f in fields(item)}


def _delivery_row(d: Delivery) -> dict[str, Any]:
    return _shallow(d) | {"channel": d.channel.value, "status": d.status.value}


def delivery_of(row: Any) -> Delivery:
    return Delivery(
        **{**row, "channel": Channel(row["channel"]), "status": DeliveryStatus(row["status"])}
    )
