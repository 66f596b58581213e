"""What the notification service's HTTP routes need, wired once in bootstrap and reached
through the app."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.service_layer.template_book import TemplateBook
from services.notifications.service_layer.unit_of_work import UnitOfWork
from services.notifications.settings import NotificationsSettings
from shared.app import ServiceParts


@dataclass(frozen=True)
class NotificationsContext:
    parts: ServiceParts  # the database, the producer, the Kafka settings
    settings: NotificationsSettings
    uow: Callable[[], UnitOfWork]
    templates: TemplateBook  # invalidate() after an edit: in force here at once

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.parts.sessions


async def _context(request: Request) -> NotificationsContext:
    context: NotificationsContext = request.app.state.context
    return context


NotificationsDep = Annotated[NotificationsContext, Depends(_context)]
