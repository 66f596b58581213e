"""Finding a member by how they can be reached: the notification service holds the contact
details, so it answers a manager's search by email address or phone number with member ids.
Every search is logged (who searched, by what, how many found; never the address itself)."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, EmailStr

from services.notifications.entrypoints.context import NotificationsDep
from services.notifications.service_layer import views
from shared.auth import SCOPE_MEMBERS_READ
from shared.callers import Caller, system_scoped
from shared.contracts.contact import normalized_phone

log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/v1", tags=["members"], dependencies=[Depends(system_scoped(SCOPE_MEMBERS_READ))]
)


class FoundMembers(BaseModel):
    members: list[str]


@router.get("/members", response_model=FoundMembers)
async def find_members(
    principal: Caller,
    notifications: NotificationsDep,
    email: Annotated[EmailStr | None, Query(max_length=320)] = None,
    phone: Annotated[str | None, Query(max_length=40, examples=["+45 12 34 56 78"])] = None,
) -> FoundMembers:
    """The members with this email address (any case) or phone number (international form,
    spaces allowed): one of the two. At most 20, by id."""
    if (email is None) == (phone is None):
        raise HTTPException(422, "give email or phone, one of the two")
    if phone is not None:
        try:
            phone = normalized_phone(phone)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
    async with notifications.sessions() as session:
        found = await views.members_reached_at(session, email=email, phone=phone)
    log.info(
        "member search",
        extra={"by": principal.name, "field": "email" if email else "phone", "found": len(found)},
    )
    return FoundMembers(members=found)
