"""Finding a member by how they can be reached: the notification service holds the contact
details, so it answers a manager's search by email address or phone number with member ids.
Every search is logged (who searched, by what, how many found; never the address itself)."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, EmailStr

from services.notifications.entrypoints.context import NotificationsContext, NotificationsDep
from services.notifications.service_layer import views
from shared.auth import SCOPE_MEMBERS_READ, Principal
from shared.callers import Caller, system_scoped
from shared.contracts.contact import Phone

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/v1", tags=["members"], dependencies=[Depends(system_scoped(SCOPE_MEMBERS_READ))]
)


class FoundMembers(BaseModel):
    members: list[str]


@router.get("/members/by-email", response_model=FoundMembers)
async def find_members_by_email(
    principal: Caller,
    notifications: NotificationsDep,
    email: Annotated[EmailStr, Query(max_length=320)],
) -> FoundMembers:
    """The members with this email address, in any case: their ids, at most 20."""
    return await _found(principal, notifications, email=str(email))


@router.get("/members/by-phone", response_model=FoundMembers)
async def find_members_by_phone(
    principal: Caller,
    notifications: NotificationsDep,
    phone: Annotated[Phone, Query()],
) -> FoundMembers:
    """The members with this phone number (international form, spaces allowed): their ids,
    at most 20."""
    return await _found(principal, notifications, phone=phone)


async def _found(
    principal: Principal,
    notifications: NotificationsContext,
    *,
    email: str | None = None,
    phone: str | None = None,
) -> FoundMembers:
    async with notifications.sessions() as session:
        found = await views.members_reached_at(session, email=email, phone=phone)
    log.info(
        "member search",
        extra={"by": principal.name, "field": "email" if email else "phone", "found": len(found)},
    )
    return FoundMembers(members=found)
