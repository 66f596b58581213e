"""One notification transaction: preferences, templates, the inbox and queued deliveries."""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifications.adapters.repository import NotificationRepository
from services.notifications.domain.deliveries import Delivery
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.preferences import Preferences
from services.notifications.service_layer.template_book import Templates
from shared.uow import RepositoryTransaction, Transaction


class UnitOfWork(Transaction, Protocol):
    async def preferences(self, member_id: str) -> Preferences | None: ...

    async def preferences_of(self, member_ids: Collection[str]) -> dict[str, Preferences]: ...

    async def preferences_for_update(
        self, member_ids: Collection[str]
    ) -> dict[str, Preferences]: ...

    async def preferences_by_token(self, token: str) -> Preferences | None:
        """The preferences with this unsubscribe token, locked until commit."""
        ...

    async def save_preferences(self, found: Collection[Preferences]) -> None: ...

    async def all_templates(self) -> Templates: ...

    async def save_template(self, kind: str, language: str, title: str, body: str) -> None: ...

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        """The erased members among ``member_ids``, with when."""
        ...

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        """Delete all held about the member; False for a repeat."""
        ...

    async def mark_read(self, member_id: str, message_id: str) -> bool:
        """Whether an unread message of the member's was marked read now."""
        ...

    async def forget_older(self, messages_before: datetime, deliveries_before: datetime) -> int:
        """Delete old inbox messages and finished deliveries; how many rows went."""
        ...

    async def add_all(self, messages: list[InboxMessage], deliveries: list[Delivery]) -> set[str]:
        """Write those not there yet (by message and delivery id); the ids written."""
        ...

    async def template(self, kind: str, language: str) -> tuple[str, str] | None: ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]: ...

    async def renew_lease(self, held: Sequence[Delivery], until: datetime) -> bool:
        """Extend the lease of deliveries this replica holds, all or none; False if any is no
        longer its own."""
        ...

    async def save_delivery(self, delivery: Delivery) -> None: ...


class SqlAlchemyUnitOfWork(RepositoryTransaction[NotificationRepository]):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions, NotificationRepository)

    async def preferences(self, member_id: str) -> Preferences | None:
        return await self.repository.load_preferences(member_id=member_id)

    async def preferences_by_token(self, token: str) -> Preferences | None:
        return await self.repository.load_preferences(token=token, lock=True)

    async def preferences_of(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return await self.repository.preferences_of(member_ids)

    async def preferences_for_update(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return await self.repository.preferences_of(member_ids, for_update=True)

    async def save_preferences(self, found: Collection[Preferences]) -> None:
        await self.repository.save_all_preferences(found)

    async def all_templates(self) -> Templates:
        return await self.repository.templates_by_kind()

    async def save_template(self, kind: str, language: str, title: str, body: str) -> None:
        await self.repository.save_template(kind, language, title, body)

    async def add_all(self, messages: list[InboxMessage], deliveries: list[Delivery]) -> set[str]:
        return await self.repository.add_all(messages, deliveries)

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        return await self.repository.erased(member_ids)

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        return await self.repository.erase(member_id, now)

    async def mark_read(self, member_id: str, message_id: str) -> bool:
        return await self.repository.mark_read(member_id, message_id)

    async def forget_older(self, messages_before: datetime, deliveries_before: datetime) -> int:
        return await self.repository.forget_older(messages_before, deliveries_before)

    async def template(self, kind: str, language: str) -> tuple[str, str] | None:
        return await self.repository.template(kind, language)

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        return await self.repository.claim_due(now, limit, lease)

    async def renew_lease(self, held: Sequence[Delivery], until: datetime) -> bool:
        return await self.repository.renew_lease(held, until)

    async def save_delivery(self, delivery: Delivery) -> None:
        await self.repository.save_delivery(delivery)
