"""One notification transaction: members' preferences, templates, the inbox and queued
deliveries, each behind its repository."""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.adapters.members_repository import MembersRepository
from services.notifications.adapters.repository import InboxRepository, TemplatesRepository
from services.notifications.domain.deliveries import Delivery
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.preferences import Preferences
from services.notifications.service_layer.template_book import Templates
from shared.uow import SqlAlchemyTransaction, Transaction


class Members(Protocol):
    async def preferences(self, member_id: str) -> Preferences | None: ...

    async def preferences_of(self, member_ids: Collection[str]) -> dict[str, Preferences]: ...

    async def preferences_for_update(
        self, member_ids: Collection[str]
    ) -> dict[str, Preferences]: ...

    async def preferences_by_token(self, token: str) -> Preferences | None:
        """The preferences with this unsubscribe token, locked until commit."""
        ...

    async def save_preferences(self, found: Collection[Preferences]) -> None: ...

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        """The erased members among ``member_ids``, with when."""
        ...

    async def use_sign_in(self, token_id: str, expires_at: datetime) -> bool:
        """Record a sign-in link as used; False if it was before."""
        ...


class TemplateTexts(Protocol):
    async def all_templates(self) -> Templates: ...

    async def template(self, kind: str, language: str) -> tuple[str, str] | None: ...

    async def save_template(self, kind: str, language: str, title: str, body: str) -> None: ...


class Inbox(Protocol):
    async def mark_read(self, member_id: str, message_id: str) -> bool:
        """Whether an unread message of the member's was marked read now."""
        ...

    async def forget_older(self, messages_before: datetime, deliveries_before: datetime) -> int:
        """Delete old inbox messages and finished deliveries; how many rows went."""
        ...

    async def add_all(self, messages: list[InboxMessage], deliveries: list[Delivery]) -> set[str]:
        """Write those not there yet (by message and delivery id); the ids written."""
        ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]: ...

    async def renew_lease(self, held: Sequence[Delivery], until: datetime) -> bool:
        """Extend the lease of deliveries this replica holds, all or none; False if any is no
        longer its own."""
        ...

    async def save_delivery(self, delivery: Delivery) -> None: ...


class UnitOfWork(Transaction, Protocol):
    @property
    def members(self) -> Members: ...

    @property
    def templates(self) -> TemplateTexts: ...

    @property
    def inbox(self) -> Inbox: ...

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        """Delete all held about the member; False for a repeat."""
        ...


class SqlAlchemyUnitOfWork(SqlAlchemyTransaction):
    """The repositories, built once per transaction."""

    def _began(self, session: AsyncSession) -> None:
        self.members = MembersRepository(session)
        self.templates = TemplatesRepository(session)
        self.inbox = InboxRepository(session)

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        return await self.members.erase(member_id, now)
