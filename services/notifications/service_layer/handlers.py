"""Use cases of the notification service."""

from services.notifications.domain.commands import NotifyPointsEarned
from services.notifications.domain.model import InboxMessage, points_earned_message
from services.notifications.service_layer.unit_of_work import UnitOfWork


async def notify_points_earned(
    command: NotifyPointsEarned, *, message_id: str, uow: UnitOfWork
) -> InboxMessage | None:
    """Put one message in the member's inbox per ledger event, however often it arrives."""
    async with uow:
        if await uow.message_exists(message_id):
            return None
        message = points_earned_message(command.notice, message_id=message_id)
        await uow.add(message)
        await uow.commit()
    return message
