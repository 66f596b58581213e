"""Members' inbox and preferences (member token, or an API key with members:read), and the
one-click unsubscribe link of emails."""

import re
from datetime import time
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    WithJsonSchema,
    field_validator,
)

from services.notifications.adapters.orm import deliveries, erased_members, inbox, preferences
from services.notifications.domain.notices import Category, Channel
from services.notifications.domain.preferences import LANGUAGES, Preferences
from services.notifications.entrypoints.context import NotificationsDep
from services.notifications.service_layer import members, views
from shared.auth import SCOPE_ADMIN, SCOPE_MEMBERS_READ, SCOPE_MEMBERS_WRITE
from shared.callers import Caller, MemberId, member_scoped, require_member_access, require_scope
from shared.contracts.contact import Phone
from shared.erasure.model import ErasureStatus
from shared.erasure.table import erasure_status
from shared.export import member_export

router = APIRouter(prefix="/v1", tags=["members"])


class ConsentsPublic(BaseModel):
    email: bool = Field(default=False, strict=True)
    push: bool = Field(default=False, strict=True)


_ZONES = list[JsonValue](sorted(available_timezones()))  # the schema names every one
_CLOCK = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"


def _clock(value: object) -> object:
    """A wall-clock time as the member's app writes it, "21:00" or "21:00:00" (no zone: the
    member's timezone says where)."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(_CLOCK, value):
        raise ValueError(f"{value!r} is not a time of day such as 21:00")
    return value


ClockTime = Annotated[
    time,
    BeforeValidator(_clock),
    WithJsonSchema({"type": "string", "pattern": _CLOCK, "examples": ["21:00"]}),
]
# Quiet hours are both times or neither, as the schema says too.
_BOTH_OR_NEITHER: dict[str, Any] = {
    "allOf": [
        {
            "if": {"required": [a], "properties": {a: {"type": "string"}}},
            "then": {"required": [b], "properties": {b: {"type": "string"}}},
        }
        for a, b in (("quiet_start", "quiet_end"), ("quiet_end", "quiet_start"))
    ]
}


class PreferencesPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra=_BOTH_OR_NEITHER)

    language: str = Field(pattern=r"^(en|da|sv)$")
    timezone: str = Field(
        default="UTC", json_schema_extra={"enum": list[JsonValue](sorted(available_timezones()))}
    )
    email: EmailStr | None = None
    push_token: str | None = Field(default=None, max_length=400)
    phone: Phone | None = Field(default=None, description="international form: +45 12 34 56 78")
    channels: dict[Category, list[Channel]]
    quiet_start: ClockTime | None = None
    quiet_end: ClockTime | None = None
    consents: ConsentsPublic | None = Field(
        default=None,
        description="email and push beyond receipts; left out of a PUT, the member's stored "
        "consents are kept (none stored: none given)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"{value!r} is not an IANA timezone, e.g. Europe/Copenhagen")
        return value


def _public(p: Preferences) -> PreferencesPublic:
    return PreferencesPublic(
        language=p.language,
        timezone=p.timezone,
        email=p.email,
        push_token=p.push_token,
        phone=p.phone,
        channels={c: sorted(ch) for c, ch in p.channels.items()},
        quiet_start=p.quiet_start,
        quiet_end=p.quiet_end,
        consents=ConsentsPublic(email=p.email_consent, push=p.push_consent),
    )


@router.get("/members/{member_id}/inbox", response_model=views.InboxPage)
async def get_inbox(
    member_id: MemberId,
    principal: Caller,
    notifications: NotificationsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> views.InboxPage:
    """The member's messages, newest first; pass ``next_cursor`` back for the next page."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    async with notifications.sessions() as session:
        return await views.inbox_page(session, member_id, limit=limit, cursor=cursor)


@router.post(
    "/members/{member_id}/inbox/{message_id}/read",
    status_code=204,
    dependencies=[Depends(member_scoped(SCOPE_MEMBERS_WRITE))],
)
async def mark_read(
    member_id: MemberId,
    message_id: Annotated[str, Path(max_length=200)],
    principal: Caller,
    notifications: NotificationsDep,
) -> None:
    """Mark one of the member's inbox messages read."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_WRITE)
    if not await members.mark_read(member_id, message_id, uow=notifications.uow()):
        async with notifications.sessions() as session:
            if not await views.message_exists(session, member_id, message_id):
                raise HTTPException(404, f"no message {message_id!r} for this member")


@router.get("/members/{member_id}/preferences", response_model=PreferencesPublic)
async def get_preferences(
    member_id: MemberId, principal: Caller, notifications: NotificationsDep
) -> PreferencesPublic:
    """The member's channels per category, language, timezone, quiet hours and consents."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_READ)
    async with notifications.sessions() as session:
        found = await views.preferences(session, member_id)
    return _public(found or Preferences(member_id))


@router.put(
    "/members/{member_id}/preferences",
    response_model=PreferencesPublic,
    dependencies=[Depends(member_scoped(SCOPE_MEMBERS_WRITE))],
)
async def put_preferences(
    member_id: MemberId,
    body: Annotated[PreferencesPublic, Body()],
    principal: Caller,
    notifications: NotificationsDep,
) -> PreferencesPublic:
    """Channels per category, language, timezone and quiet hours. Receipts (a redemption's
    voucher) still reach the inbox and email."""
    require_member_access(principal, member_id, SCOPE_MEMBERS_WRITE)
    if (body.quiet_start is None) != (body.quiet_end is None):
        raise HTTPException(422, "give both quiet_start and quiet_end, or neither")
    chosen = Preferences(
        member_id=member_id,
        language=body.language,
        timezone=body.timezone,
        email=body.email,
        push_token=body.push_token,
        phone=body.phone,
        channels={c: frozenset(ch) for c, ch in body.channels.items()},
        quiet_start=body.quiet_start,
        quiet_end=body.quiet_end,
        email_consent=body.consents.email if body.consents else False,
        push_consent=body.consents.push if body.consents else False,
    )
    prefs = await members.choose_preferences(
        chosen, uow=notifications.uow(), keep_consents=body.consents is None
    )
    return _public(prefs)


__all__ = ["LANGUAGES", "router"]


@router.get("/members/{member_id}/export")
async def export_member(
    member_id: MemberId, principal: Caller, notifications: NotificationsDep
) -> Response:
    """Everything the notification service holds about the member, as one JSON document
    streamed as it is read (right of access and portability): preferences (language,
    timezone, email, push token, consents), every inbox message, every delivery. An admin key,
    or the member's own token."""
    require_member_access(principal, member_id, SCOPE_ADMIN)
    return member_export(
        notifications.sessions,
        "notifications",
        member_id,
        (
            ("preferences", preferences, ()),
            ("inbox", inbox, (inbox.c.id,)),
            ("deliveries", deliveries, (deliveries.c.created_at,)),
        ),
    )


@router.get("/members/{member_id}/erasure", response_model=ErasureStatus)
async def erasure_done(
    member_id: MemberId, principal: Caller, notifications: NotificationsDep
) -> ErasureStatus:
    """Whether the notification service has forgotten the member, and when (admin key)."""
    require_scope(principal, SCOPE_ADMIN)
    return await erasure_status(notifications.sessions, erased_members, "notifications", member_id)
