"""What the notification service's HTTP routes need, wired once in bootstrap and reached
through the app."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.notifications.service_layer.template_book import TemplateBook
from services.notifications.service_layer.unit_of_work import UnitOfWork
from services.notifications.settings import NotificationsSettings
from shared.app import ServiceContext, context_of


@dataclass(frozen=True)
class NotificationsContext(ServiceContext):
    settings: NotificationsSettings
    uow: Callable[[], UnitOfWork]
    templates: TemplateBook  # invalidate() after an edit: in force here at once


NotificationsDep = Annotated[NotificationsContext, Depends(context_of(NotificationsContext))]
