"""Read models for the inbox API."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.adapters.orm import inbox
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
    return InboxPage(
        messages=[InboxMessagePublic.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )


async def message_exists(session: AsyncSession, member_id: str, message_id: str) -> bool:
    found = await session.scalar(
        select(inbox.c.id).where(inbox.c.member_id == member_id, inbox.c.message_id == message_id)
    )
    return found is not None
