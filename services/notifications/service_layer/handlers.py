"""Use cases of the notification service."""

from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.model import InboxMessage, message_for
from services.notifications.service_layer.unit_of_work import UnitOfWork


async def notify_member(
    command: NotifyMember, *, message_id: str, uow: UnitOfWork
) -> InboxMessage | None:
    """Put at most one message in the member's inbox per ledger event, however often it
    arrives."""
    message = message_for(command.notice, message_id=message_id)
    if message is None:
        return None
    async with uow:
        if await uow.message_exists(message_id):
            return None
        await uow.add(message)
        await uow.commit()
    return message
