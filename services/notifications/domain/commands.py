"""What the notification service is asked to do."""

from dataclasses import dataclass

from services.notifications.domain.notices import Notice


@dataclass(frozen=True, slots=True)
class NotifyMember:
    notice: Notice
