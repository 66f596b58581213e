"""The ledger's tables for unit tests."""

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from services.ledger.domain.commands import NotePrice
from services.ledger.domain.entries import Entry, Operation
from services.ledger.domain.lots import Lot
from services.ledger.domain.model import MemberAccount
from services.ledger.domain.redemptions import Redemption, RedemptionStatus
from services.ledger.service_layer.unit_of_work import RepeatedOperations
from shared.contracts.envelope import CloudEvent
from tests.unit.fakes.transaction import FakeTransaction


def _is_open(lot: Lot, wanted: Collection[str]) -> bool:
    """What LedgerRepository.load_open_lots loads: the open lots (one definition for both,
    the domain's), and the lots asked for by id."""
    return lot.is_open() or lot.lot_id in wanted


class FakeLedger(FakeTransaction):
    """The ledger's tables as dicts; ``save_all`` stages, ``commit`` applies."""

    def __init__(self) -> None:
        self.balances: dict[str, MemberAccount] = {}
        self.lots: dict[str, Lot] = {}
        self.redemptions: dict[str, Redemption] = {}
        self.fingerprint_of: dict[str, str] = {}
        self.refused: dict[str, tuple[str, str, str]] = {}
        self._refusing: dict[str, tuple[str, str, str]] = {}
        self.entries: list[Entry] = []
        self.published: list[Operation] = []
        self.events: list[CloudEvent] = []
        self.prices: dict[tuple[str, str, str], NotePrice] = {}
        self.tiers: dict[str, tuple[str, datetime]] = {}
        self.erased_members: dict[str, datetime] = {}
        self._staged: list[MemberAccount] = []

    @property
    def accounts(self) -> "FakeLedger":
        """The accounts' repository: these same dicts."""
        return self

    members = accounts

    @property
    def erased(self) -> Mapping[str, datetime]:
        return self.erased_members

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        if member_id in self.erased_members:
            return False
        self.erased_members[member_id] = now
        self.balances.pop(member_id, None)
        return True

    async def balances_for_update(self, member_ids: Collection[str]) -> dict[str, MemberAccount]:
        accounts = {}
        for member_id in member_ids:
            if member_id in self.erased_members:
                continue
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

    async def refusal(self, operation_id: str) -> tuple[str, str, str] | None:
        return self.refused.get(operation_id)

    async def keep_refusal(
        self, operation_id: str, fingerprint: str, error: str, detail: str, at: datetime
    ) -> None:
        self._refusing.setdefault(operation_id, (fingerprint, error, detail))

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

    async def save_prices(self, prices: Sequence[NotePrice]) -> None:
        for p in prices:
            self.prices[(p.member_id, p.reward_id, p.offer_id)] = p

    async def save_tiers(self, tiers: Mapping[str, tuple[str, datetime]]) -> None:
        for member, (tier, at) in tiers.items():
            if member not in self.tiers or self.tiers[member][1] <= at:
                self.tiers[member] = (tier, at)

    async def commit(self) -> None:
        staged, self._staged = self._staged, []
        refusing, self._refusing = self._refusing, {}
        assert staged or refusing, "nothing to commit"
        for operation_id, refusal in refusing.items():
            self.refused.setdefault(operation_id, refusal)
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
