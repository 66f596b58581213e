"""What the notification service's routes read: the inbox, a member's preferences, the
templates and the delivery log. Straight queries, no locks."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.adapters.members_repository import MembersRepository
from services.notifications.adapters.orm import deliveries, erased_members, inbox, templates
from services.notifications.adapters.repository import delivery_of
from services.notifications.domain.deliveries import Delivery
from services.notifications.domain.preferences import Preferences
from shared.erasure.table import refuse_if_erased
from shared.pagination import newest_first


class InboxMessagePublic(BaseModel):
    message_id: str
    kind: str
    title: str
    body: str
    source_event_id: str
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    messages: list[InboxMessagePublic]
    next_cursor: str | None


async def inbox_page(
    session: AsyncSession, member_id: str, *, limit: int, cursor: str | None
) -> InboxPage:
    rows, next_cursor = await newest_first(
        session, inbox, where=inbox.c.member_id == member_id, limit=limit, cursor=cursor
    )
    if not rows:
        await refuse_if_erased(session, erased_members, member_id)
    return InboxPage(
        messages=[InboxMessagePublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


async def message_exists(session: AsyncSession, member_id: str, message_id: str) -> bool:
    found = await session.scalar(
        select(inbox.c.id).where(inbox.c.member_id == member_id, inbox.c.message_id == message_id)
    )
    return found is not None


async def members_reached_at(
    session: AsyncSession, *, email: str | None = None, phone: str | None = None
) -> list[str]:
    """The members with this email address or phone number (E.164)."""
    return await MembersRepository(session).find(email=email, phone=phone)


async def preferences(session: AsyncSession, member_id: str) -> Preferences | None:
    found = await MembersRepository(session).preferences(member_id)
    if found is None:
        await refuse_if_erased(session, erased_members, member_id)
    return found


async def all_templates(session: AsyncSession) -> list[dict[str, str]]:
    rows = await session.execute(select(templates).order_by(templates.c.kind, templates.c.language))
    return [
        {"kind": r.kind, "language": r.language, "title": r.title, "body": r.body} for r in rows
    ]


async def delivery_log(
    session: AsyncSession, *, member_id: str | None, status: str | None, limit: int
) -> list[Delivery]:
    query = select(deliveries)
    if member_id is not None:
        query = query.where(deliveries.c.member_id == member_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    rows = await session.execute(query.order_by(deliveries.c.created_at.desc()).limit(limit))
    return [delivery_of(r._mapping) for r in rows]


async def preferences_by_token(session: AsyncSession, token: str) -> Preferences | None:
    """The preferences with this unsubscribe token, read only (the page that asks)."""
    return await MembersRepository(session).preferences_by_token(token, lock=False)
