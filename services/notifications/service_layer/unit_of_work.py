"""One notification transaction: preferences, templates, the inbox and queued deliveries."""

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Protocol

from services.notifications.adapters import repository as repo
from services.notifications.domain.deliveries import Delivery
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.preferences import Preferences
from services.notifications.service_layer.template_book import Templates
from shared.uow import SqlAlchemyTransaction, Transaction


class UnitOfWork(Transaction, Protocol):
    async def preferences(self, member_id: str) -> Preferences | None: ...

    async def preferences_of(self, member_ids: Collection[str]) -> dict[str, Preferences]: ...

    async def preferences_for_update(
        self, member_ids: Collection[str]
    ) -> dict[str, Preferences]: ...

    async def save_preferences(self, found: Collection[Preferences]) -> None: ...

    async def all_templates(self) -> Templates: ...

    async def add_all(self, messages: list[InboxMessage], deliveries: list[Delivery]) -> set[str]:
        """Write those not there yet (by message and delivery id); the ids written."""
        ...

    async def template(self, kind: str, language: str) -> tuple[str, str] | None: ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]: ...

    async def save_delivery(self, delivery: Delivery) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyTransaction):
    async def preferences(self, member_id: str) -> Preferences | None:
        return await repo.load_preferences(self.session, member_id=member_id)

    async def preferences_of(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return await repo.preferences_of(self.session, member_ids)

    async def preferences_for_update(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return await repo.preferences_of(self.session, member_ids, for_update=True)

    async def save_preferences(self, found: Collection[Preferences]) -> None:
        await repo.save_all_preferences(self.session, found)

    async def all_templates(self) -> Templates:
        return await repo.templates_by_kind(self.session)

    async def add_all(self, messages: list[InboxMessage], deliveries: list[Delivery]) -> set[str]:
        return await repo.add_all(self.session, messages, deliveries)

    async def template(self, kind: str, language: str) -> tuple[str, str] | None:
        return await repo.template(self.session, kind, language)

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        return await repo.claim_due(self.session, now, limit, lease)

    async def save_delivery(self, delivery: Delivery) -> None:
        await repo.save_delivery(self.session, delivery)
