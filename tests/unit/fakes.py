"""In-memory units of work for the services' handlers: the ports' test doubles."""

import copy
from collections.abc import Collection
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from services.ledger.domain.entries import Entry, Operation
from services.ledger.domain.lots import Lot, LotStatus
from services.ledger.domain.model import MemberAccount
from services.ledger.domain.redemptions import Redemption, RedemptionStatus
from services.notifications.domain.deliveries import Delivery, DeliveryStatus
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.preferences import Preferences
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, Decision, LoyaltyEvent, Revocation, TierChange
from services.rules.domain.returns import PurchaseRecord
from shared.contracts.envelope import CloudEvent


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
        """Nothing to roll back: fakes apply changes only on commit."""

    async def commit(self) -> None:
        self.committed = True


class FakeRulesUnitOfWork(_FakeTransaction):
    """The rules service's tables as dicts; ``record`` stages, ``commit`` applies."""

    def __init__(self, budgets: dict[str, int] | None = None) -> None:
        self.processed: set[str] = set()
        self.members: dict[str, MemberState] = {}
        self.purchases: dict[str, PurchaseRecord] = {}
        self.spent: dict[str, int] = {}
        self.awards: list[Award] = []
        self.revocations: list[Revocation] = []
        self.tier_changes: list[TierChange] = []
        self._staged: tuple[Any, ...] | None = None

    async def was_processed(self, event_id: str) -> bool:
        return event_id in self.processed

    async def member_for_update(self, member_id: str) -> MemberState:
        return copy.deepcopy(self.members.get(member_id, MemberState(member_id)))

    async def purchase(self, event_id: str, member_id: str) -> PurchaseRecord | None:
        found = self.purchases.get(event_id)
        return copy.deepcopy(found) if found and found.member_id == member_id else None

    async def reserve_budget(self, rule_id: str, points: int, budget: int) -> int:
        granted = max(0, min(points, budget - self.spent.get(rule_id, 0)))
        self.spent[rule_id] = self.spent.get(rule_id, 0) + granted
        return granted

    async def refund_budget(self, rule_id: str, points: int) -> None:
        self.spent[rule_id] = self.spent.get(rule_id, 0) - points

    async def record(
        self, event: LoyaltyEvent, decision: Decision, purchase: PurchaseRecord | None
    ) -> None:
        self._staged = (event, decision, purchase)

    async def commit(self) -> None:
        assert self._staged is not None
        event, decision, purchase = self._staged
        self.processed.add(event.event_id)
        self.members[decision.member.member_id] = copy.deepcopy(decision.member)
        if purchase is not None:
            self.purchases[purchase.event_id] = copy.deepcopy(purchase)
        self.awards.extend(decision.awards)
        self.revocations.extend(decision.revocations)
        if decision.tier_change is not None:
            self.tier_changes.append(decision.tier_change)
        self._staged = None


class FakeLedger(_FakeTransaction):
    """The ledger's tables as dicts; ``save`` stages, ``commit`` applies."""

    def __init__(self) -> None:
        self.balances: dict[str, MemberAccount] = {}
        self.lots: dict[str, Lot] = {}
        self.redemptions: dict[str, Redemption] = {}
        self.fingerprints: dict[str, str] = {}
        self.entries: list[Entry] = []
        self.published: list[Operation] = []
        self.events: list[CloudEvent] = []
        self._staged: MemberAccount | None = None

    async def load(
        self, member_id: str, *, lot_ids: Collection[str] = (), redemption_ids: Collection[str] = ()
    ) -> MemberAccount:
        saved = self.balances.get(member_id)
        found = [
            copy.deepcopy(self.redemptions[i])
            for i in redemption_ids
            if i in self.redemptions and self.redemptions[i].member_id == member_id
        ]
        wanted = {*lot_ids, *(i for r in found for i in r.allocations)}
        lots = [
            copy.deepcopy(lot)
            for lot in self.lots.values()
            if lot.member_id == member_id
            and (
                lot.status is LotStatus.PENDING
                or lot.lot_id in wanted
                or (lot.status is LotStatus.AVAILABLE and lot.remaining > 0)
            )
        ]
        if saved is None:
            return MemberAccount(member_id, lots=lots, redemptions=found)
        return MemberAccount(
            member_id,
            available=saved.available,
            pending=saved.pending,
            held=saved.held,
            lifetime_earned=saved.lifetime_earned,
            lifetime_redeemed=saved.lifetime_redeemed,
            version=saved.version,
            lots=lots,
            redemptions=found,
        )

    async def operation_fingerprint(self, operation_id: str) -> str | None:
        return self.fingerprints.get(operation_id)

    async def expired_holds(self, member_id: str, now: datetime) -> list[str]:
        return [
            r.redemption_id
            for r in self.redemptions.values()
            if r.member_id == member_id
            and r.status is RedemptionStatus.HELD
            and r.hold_expires_at is not None
            and r.hold_expires_at <= now
        ]

    async def save(self, account: MemberAccount) -> None:
        self._staged = account

    async def publish(self, event: CloudEvent) -> None:
        self.events.append(event)

    async def commit(self) -> None:
        account, self._staged = self._staged, None
        assert account is not None
        for op in account.operations:
            assert op.operation_id not in self.fingerprints, "unique operation id violated"
            self.fingerprints[op.operation_id] = op.fingerprint
            self.entries.extend(op.entries)
            self.published.append(op)
        for lot_id in account.changed_lots:
            self.lots[lot_id] = copy.deepcopy(account.lots[lot_id])
        for redemption_id in account.changed_redemptions:
            self.redemptions[redemption_id] = copy.deepcopy(account.redemptions[redemption_id])
        account.version += 1
        self.balances[account.member_id] = copy.deepcopy(account)
        account.operations, account.changed_lots, account.changed_redemptions = [], set(), set()


class FakeNotifications(_FakeTransaction):
    """The notification service's tables as lists and dicts (changes apply at once)."""

    def __init__(self, templates: dict[str, dict[str, dict[str, str]]]) -> None:
        self.templates = templates
        self.prefs: dict[str, Preferences] = {}
        self.messages: list[InboxMessage] = []
        self.deliveries: dict[str, Delivery] = {}

    async def preferences(self, member_id: str) -> Preferences | None:
        return self.prefs.get(member_id)

    async def template(self, kind: str, language: str) -> tuple[str, str] | None:
        texts = self.templates.get(kind, {})
        found = texts.get(language) or texts.get("en")
        return None if found is None else (found["title"], found["body"])

    async def message_exists(self, message_id: str) -> bool:
        return any(m.message_id == message_id for m in self.messages)

    async def add(self, message: InboxMessage) -> None:
        self.messages.append(message)

    async def delivery_exists(self, delivery_id: str) -> bool:
        return delivery_id in self.deliveries

    async def add_delivery(self, delivery: Delivery) -> None:
        self.deliveries[delivery.delivery_id] = delivery

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        due = [
            d
            for d in self.deliveries.values()
            if d.status in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
            and d.next_attempt_at <= now
        ][:limit]
        for delivery in due:
            delivery.next_attempt_at = now + lease
        return [copy.deepcopy(d) for d in due]

    async def save_delivery(self, delivery: Delivery) -> None:
        self.deliveries[delivery.delivery_id] = delivery
