"""In-memory units of work for the services' handlers: the ports' test doubles."""

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from services.ledger.domain.entries import Entry, Operation
from services.ledger.domain.lots import Lot
from services.ledger.domain.model import MemberAccount
from services.ledger.domain.redemptions import Redemption, RedemptionStatus
from services.ledger.service_layer.unit_of_work import RepeatedOperations
from services.notifications.domain.deliveries import Delivery, DeliveryStatus
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.preferences import Preferences
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, LoyaltyEvent, Revocation, TierChange
from services.rules.domain.returns import PurchaseRecord
from services.rules.service_layer.unit_of_work import Decided
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
    """The rules service's tables as dicts; ``save`` stages, ``commit`` applies."""

    def __init__(self, budgets: dict[str, int] | None = None) -> None:
        self.processed_ids: set[str] = set()
        self.members: dict[str, MemberState] = {}
        self.purchase_records: dict[str, PurchaseRecord] = {}
        self.spent: dict[str, int] = {}
        self.awards: list[Award] = []
        self.revocations: list[Revocation] = []
        self.tier_changes: list[TierChange] = []
        self._staged: tuple[Sequence[Decided], Mapping[str, int]] | None = None

    async def claim(self, events: Sequence[LoyaltyEvent]) -> set[str]:
        """The claims hold on commit: there, the decided events are marked processed (the
        refused ones, released, are not)."""
        return {e.event_id for e in events} & self.processed_ids

    async def release(self, event_ids: Collection[str]) -> None:
        self.released = set(event_ids)

    async def members_for_update(self, member_ids: Collection[str]) -> dict[str, MemberState]:
        return {m: await self.member(m) for m in member_ids}

    async def member(self, member_id: str) -> MemberState:
        return copy.deepcopy(self.members.get(member_id, MemberState(member_id)))

    async def purchases(self, event_ids: Collection[str]) -> dict[str, PurchaseRecord]:
        return {
            i: copy.deepcopy(self.purchase_records[i])
            for i in event_ids
            if i in self.purchase_records
        }

    async def budgets_for_update(self, rule_ids: Sequence[str]) -> dict[str, int]:
        return {r: self.spent.get(r, 0) for r in rule_ids}

    async def save(self, decided: Sequence[Decided], budgets: Mapping[str, int]) -> None:
        self._staged = (decided, budgets)

    async def commit(self) -> None:
        assert self._staged is not None
        decided, budgets = self._staged
        for d in decided:
            assert d.event.event_id not in self.processed_ids, "unique event id violated"
            self.processed_ids.add(d.event.event_id)
            self.members[d.decision.member.member_id] = copy.deepcopy(d.decision.member)
            if d.purchase is not None:
                self.purchase_records[d.purchase.event_id] = copy.deepcopy(d.purchase)
            self.awards.extend(d.decision.awards)
            self.revocations.extend(d.decision.revocations)
            if d.decision.tier_change is not None:
                self.tier_changes.append(d.decision.tier_change)
        self.spent.update(budgets)
        self._staged = None


def _is_open(lot: Lot, wanted: Collection[str]) -> bool:
    """What LedgerRepository.load_open_lots loads: the open lots (one definition for both,
    the domain's), and the lots asked for by id."""
    return lot.is_open() or lot.lot_id in wanted


class FakeLedger(_FakeTransaction):
    """The ledger's tables as dicts; ``save_all`` stages, ``commit`` applies."""

    def __init__(self) -> None:
        self.balances: dict[str, MemberAccount] = {}
        self.lots: dict[str, Lot] = {}
        self.redemptions: dict[str, Redemption] = {}
        self.fingerprint_of: dict[str, str] = {}
        self.entries: list[Entry] = []
        self.published: list[Operation] = []
        self.events: list[CloudEvent] = []
        self.tiers: dict[str, tuple[str, datetime]] = {}
        self._staged: list[MemberAccount] = []

    async def balances_for_update(self, member_ids: Collection[str]) -> dict[str, MemberAccount]:
        accounts = {}
        for member_id in member_ids:
            saved = self.balances.get(member_id)
            accounts[member_id] = (
                MemberAccount(member_id)
                if saved is None
                else MemberAccount(
                    member_id,
                    available=saved.available,
                    pending=saved.pending,
                    held=saved.held,
                    lifetime_earned=saved.lifetime_earned,
                    lifetime_redeemed=saved.lifetime_redeemed,
                    version=saved.version,
                )
            )
        return accounts

    async def load_open_lots(
        self, accounts: Collection[MemberAccount], lot_ids: Collection[str] = ()
    ) -> None:
        by_member = {a.member_id: a for a in accounts}
        for lot in self.lots.values():
            if lot.member_id in by_member and _is_open(lot, lot_ids):
                by_member[lot.member_id].lots.setdefault(lot.lot_id, copy.deepcopy(lot))

    async def load(
        self, member_id: str, *, lot_ids: Collection[str] = (), redemption_ids: Collection[str] = ()
    ) -> MemberAccount:
        account = (await self.balances_for_update([member_id]))[member_id]
        for i in redemption_ids:
            if i in self.redemptions and self.redemptions[i].member_id == member_id:
                account.redemptions[i] = copy.deepcopy(self.redemptions[i])
        wanted = {*lot_ids, *(i for r in account.redemptions.values() for i in r.allocations)}
        await self.load_open_lots([account], wanted)
        return account

    async def operation_fingerprint(self, operation_id: str) -> str | None:
        return self.fingerprint_of.get(operation_id)

    async def fingerprints(self, operation_ids: Collection[str]) -> dict[str, str]:
        return {i: self.fingerprint_of[i] for i in operation_ids if i in self.fingerprint_of}

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
        await self.save_all([account])

    async def save_all(self, accounts: Collection[MemberAccount]) -> None:
        """Like the operations' unique key: one recorded before refuses the whole write."""
        if any(op.operation_id in self.fingerprint_of for a in accounts for op in a.operations):
            raise RepeatedOperations("recorded before")
        self._staged.extend(accounts)

    async def publish(self, event: CloudEvent) -> None:
        self.events.append(event)

    async def save_tiers(self, tiers: Mapping[str, tuple[str, datetime]]) -> None:
        for member, (tier, at) in tiers.items():
            if member not in self.tiers or self.tiers[member][1] <= at:
                self.tiers[member] = (tier, at)

    async def commit(self) -> None:
        staged, self._staged = self._staged, []
        assert staged, "nothing to commit"
        for account in staged:
            for op in account.operations:
                assert op.operation_id not in self.fingerprint_of, "unique operation id violated"
                self.fingerprint_of[op.operation_id] = op.fingerprint
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
        self.read: set[str] = set()  # message ids marked read

    async def preferences(self, member_id: str) -> Preferences | None:
        return self.prefs.get(member_id)

    async def preferences_by_token(self, token: str) -> Preferences | None:
        return next((p for p in self.prefs.values() if p.unsubscribe_token == token), None)

    async def preferences_of(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return {m: self.prefs[m] for m in member_ids if m in self.prefs}

    async def preferences_for_update(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return {m: copy.deepcopy(self.prefs[m]) for m in member_ids if m in self.prefs}

    async def save_preferences(self, found: Collection[Preferences]) -> None:
        for p in found:
            self.prefs[p.member_id] = copy.deepcopy(p)

    async def all_templates(self) -> dict[tuple[str, str], tuple[str, str]]:
        return {
            (kind, language): (text["title"], text["body"])
            for kind, texts in self.templates.items()
            for language, text in texts.items()
        }

    async def save_template(self, kind: str, language: str, title: str, body: str) -> None:
        self.templates.setdefault(kind, {})[language] = {"title": title, "body": body}

    async def mark_read(self, member_id: str, message_id: str) -> bool:
        found = any(m.member_id == member_id and m.message_id == message_id for m in self.messages)
        if not found or message_id in self.read:
            return False
        self.read.add(message_id)
        return True

    async def add_all(self, messages: list[InboxMessage], deliveries: list[Delivery]) -> set[str]:
        written = set()
        for message in messages:
            if all(m.message_id != message.message_id for m in self.messages):
                self.messages.append(message)
                written.add(message.message_id)
        for delivery in deliveries:
            if delivery.delivery_id not in self.deliveries:
                self.deliveries[delivery.delivery_id] = delivery
                written.add(delivery.delivery_id)
        return written

    async def template(self, kind: str, language: str) -> tuple[str, str] | None:
        texts = self.templates.get(kind, {})
        found = texts.get(language) or texts.get("en")
        return None if found is None else (found["title"], found["body"])

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
