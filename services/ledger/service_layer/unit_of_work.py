"""One ledger transaction: a member's account under lock, and the events its changes cause."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.ledger.adapters.ledger_events import ledger_event
from services.ledger.adapters.members_repository import MembersRepository
from services.ledger.adapters.repository import LedgerRepository
from services.ledger.adapters.repository import RepeatedOperations as RepeatedOperations
from services.ledger.domain.commands import NotePrice
from services.ledger.domain.model import MemberAccount
from shared.contracts.envelope import CloudEvent
from shared.erasure.use_case import erased_event
from shared.errors import RetryLater
from shared.uow import SqlAlchemyTransaction, Transaction


class Accounts(Protocol):
    """The members' accounts (:class:`LedgerRepository`): what the use cases read and lock."""

    @property
    def erased(self) -> Mapping[str, datetime]:
        """The members asked for who were erased, and when."""
        ...

    async def load(
        self, member_id: str, *, lot_ids: Collection[str] = (), redemption_ids: Collection[str] = ()
    ) -> MemberAccount: ...

    async def operation_fingerprint(self, operation_id: str) -> str | None: ...

    async def refusal(self, operation_id: str) -> tuple[str, str, str] | None:
        """The refusal kept for this operation: its fingerprint, error and detail."""
        ...

    async def keep_refusal(
        self, operation_id: str, fingerprint: str, error: str, detail: str, at: datetime
    ) -> None: ...

    async def fingerprints(self, operation_ids: Collection[str]) -> dict[str, str]: ...

    async def balances_for_update(self, member_ids: Collection[str]) -> dict[str, MemberAccount]:
        """The accounts without lots, locked until commit (new members get an empty one;
        erased members none: they are in :attr:`erased`)."""
        ...

    async def load_open_lots(self, accounts: Collection[MemberAccount]) -> None:
        """Add each account's open lots to it."""
        ...

    async def expired_holds(self, member_id: str, now: datetime) -> list[str]: ...


class Members(Protocol):
    """What the ledger keeps about members beside their points (:class:`MembersRepository`)."""

    async def save_prices(self, prices: Sequence[NotePrice]) -> None:
        """Rewards made cheaper for members by offers (upserted by member, reward, offer)."""
        ...

    async def save_tiers(self, tiers: Mapping[str, tuple[str, datetime]]) -> None:
        """Each member's newest tier, ``{member: (tier, changed_at)}``, for tier-gated
        rewards (an older one never replaces a newer)."""
        ...


class UnitOfWork(Transaction, Protocol):
    """The accounts, and what a transaction does beyond reading them: write the accounts'
    operations with their events, forget a member, queue a message."""

    @property
    def accounts(self) -> Accounts: ...

    @property
    def members(self) -> Members: ...

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        """Forget whose account it is and queue the news; False for a repeat."""
        ...

    async def save_all(self, accounts: Collection[MemberAccount]) -> None: ...

    async def save(self, account: MemberAccount) -> None: ...

    async def publish(self, event: CloudEvent) -> None: ...


class SqlAlchemyUnitOfWork(SqlAlchemyTransaction):
    def __init__(self, sessions: async_sessionmaker[AsyncSession], topic: str) -> None:
        super().__init__(sessions)
        self._topic = topic

    def _began(self, session: AsyncSession) -> None:
        """The repositories, built once per transaction."""
        self.accounts = LedgerRepository(session)
        self.members = MembersRepository(session)

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        if not await self.members.erase(member_id, now):
            return False
        news = erased_event("ledger", member_id, erasure_event_id, now)
        await self.accounts.queue(self._topic, [news])
        return True

    async def save(self, account: MemberAccount) -> None:
        await self.save_all([account])

    async def save_all(self, accounts: Collection[MemberAccount]) -> None:
        """Write the accounts and queue their events; a lost race means: try again
        (:class:`RepeatedOperations` when an operation id was there already)."""
        try:
            done = await self.accounts.save_all(accounts)
            await self.accounts.queue(self._topic, [ledger_event(op) for op in done])
        except IntegrityError as exc:
            raise RetryLater("a concurrent write to these accounts") from exc

    async def publish(self, event: CloudEvent) -> None:
        """Queue an event that is not a ledger operation (e.g. a reminder) in the outbox."""
        await self.accounts.queue(self._topic, [event])
