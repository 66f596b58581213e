"""What the notification service is asked to do."""

from dataclasses import dataclass

from services.notifications.domain.model import LedgerNotice


@dataclass(frozen=True, slots=True)
class NotifyMember:
    notice: LedgerNotice
