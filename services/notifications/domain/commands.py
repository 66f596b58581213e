"""What the notification service is asked to do."""

from dataclasses import dataclass

from services.notifications.domain.model import PointsEarnedNotice


@dataclass(frozen=True, slots=True)
class NotifyPointsEarned:
    notice: PointsEarnedNotice
