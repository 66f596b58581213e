"""The member's inbox, for apps (member token) and systems (API key with members:read)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from services.notifications.service_layer import views
from shared.app import SessionsDep
from shared.auth import SCOPE_MEMBERS_READ
from shared.http import Caller, MemberId, require_member_access
from shared.pagination import InvalidCursor

router = APIRouter(prefix="/v1/members/{member_id}", tags=["members"])


@router.get("/inbox", response_model=views.InboxPage)
async def get_inbox(
    member_id: MemberId,
    principal: Caller,
    sessions: SessionsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> views.InboxPage:
    """The member's messages, newest first; pass ``next_cursor`` back for the next page."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    async with sessions() as session:
        try:
            return await views.inbox_page(session, member_id, limit=limit, cursor=cursor)
        except InvalidCursor as exc:
            raise HTTPException(400, str(exc)) from exc
