"""Administration (admin scope): the notification texts, and the delivery log."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field

from services.notifications.adapters.templates import InvalidTemplate, check
from services.notifications.entrypoints.context import NotificationsDep
from services.notifications.service_layer import members, views
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, scoped
from shared.contracts.names import Name, Text

router = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=[Depends(scoped(SCOPE_ADMIN))])


class Template(BaseModel):
    kind: str
    language: str
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=5000)


class TemplateText(BaseModel):
    title: Name(300)  # type: ignore[valid-type]
    body: Text(5000)  # type: ignore[valid-type]


class DeliveryPublic(BaseModel):
    delivery_id: str
    member_id: str
    channel: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


@router.get("/templates", response_model=list[Template])
async def list_templates(principal: Caller, notifications: NotificationsDep) -> list[Template]:
    """Every message text, per kind and language."""
    async with notifications.sessions() as session:
        return [Template(**t) for t in await views.all_templates(session)]


@router.put("/templates/{kind}/{language}", response_model=Template)
async def put_template(
    kind: Annotated[str, Path(pattern=r"^[a-z_]{1,50}$")],
    language: Annotated[str, Path(pattern=r"^(en|da|sv)$")],
    text: Annotated[TemplateText, Body()],
    principal: Caller,
    notifications: NotificationsDep,
) -> Template:
    """Change a text; a template that does not parse is refused with where it fails."""
    try:
        check(text.title, text.body)
    except InvalidTemplate as exc:
        raise HTTPException(422, str(exc)) from exc
    await members.save_template(kind, language, text.title, text.body, uow=notifications.uow())
    notifications.templates.invalidate()
    return Template(kind=kind, language=language, title=text.title, body=text.body)


@router.get("/deliveries", response_model=list[DeliveryPublic])
async def deliveries(
    principal: Caller,
    notifications: NotificationsDep,
    member_id: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(pattern=r"^(queued|sent|failed|gave_up)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """The delivery log, newest first: what was sent, what is retried, what was given up."""
    async with notifications.sessions() as session:
        found = await views.delivery_log(session, member_id=member_id, status=status, limit=limit)
    return [
        DeliveryPublic(
            delivery_id=d.delivery_id,
            member_id=d.member_id,
            channel=d.channel.value,
            kind=d.kind,
            status=d.status.value,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            created_at=d.created_at,
            sent_at=d.sent_at,
            last_error=d.last_error,
        )
        for d in found
    ]
