"""In-memory units of work for the services' handlers: the ports' test doubles."""

from types import TracebackType
from typing import Self

from services.ledger.domain.model import Balance, Entry
from services.notifications.domain.model import InboxMessage
from services.rules.domain.model import Award, LoyaltyEvent


class _FakeTransaction:
    committed = False

    async def __aenter__(self) -> Self:
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.rollback()

    async def commit(self) -> None:
        self.committed = True

    def rollback(self) -> None:
        """Discard staged changes."""


class FakeRulesUnitOfWork(_FakeTransaction):
    def __init__(self) -> None:
        self.processed: set[str] = set()
        self.published: list[Award] = []

    async def was_processed(self, event_id: str) -> bool:
        return event_id in self.processed

    async def record(self, event: LoyaltyEvent, awards: list[Award]) -> None:
        self.processed.add(event.event_id)
        self.published.extend(awards)


class FakeLedgerUnitOfWork(_FakeTransaction):
    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self.balances: dict[str, Balance] = {}
        self.published: list[object] = []

    async def entry_exists(self, entry_id: str) -> bool:
        return any(e.entry_id == entry_id for e in self.entries)

    async def balance_for_update(self, member_id: str) -> Balance:
        saved = self.balances.get(member_id)
        if saved is None:
            return Balance(member_id=member_id)
        return Balance(
            member_id=member_id,
            available=saved.available,
            pending=saved.pending,
            lifetime_earned=saved.lifetime_earned,
            version=saved.version,
        )

    async def append(self, entry: Entry, balance: Balance) -> None:
        self.entries.append(entry)
        self.published.extend(balance.events)
        balance.version += 1
        self.balances[balance.member_id] = balance


class FakeInbox(_FakeTransaction):
    def __init__(self) -> None:
        self.messages: list[InboxMessage] = []

    async def message_exists(self, message_id: str) -> bool:
        return any(m.message_id == message_id for m in self.messages)

    async def add(self, message: InboxMessage) -> None:
        self.messages.append(message)
