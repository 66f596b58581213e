"""Proves the books: balances equal the sums of entries, every account nets out, lots agree."""

from dataclasses import dataclass, field

from sqlalchemy import case, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries, lots
from services.ledger.domain import accounts as acc
from services.ledger.domain.entries import EntryKind
from services.ledger.domain.lots import LotStatus


@dataclass
class Reconciliation:
    members_checked: int = 0
    entries_checked: int = 0
    accounts: dict[str, int] = field(default_factory=dict)  # program accounts' net balances
    books_balance: bool = True
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.books_balance and not self.mismatches


async def reconcile(session: AsyncSession) -> Reconciliation:
    report = Reconciliation()
    movements = union_all(
        select(entries.c.credit_account.label("account"), entries.c.points.label("delta")),
        select(entries.c.debit_account.label("account"), (-entries.c.points).label("delta")),
    ).subquery()
    nets = {
        row.account: int(row.net)
        for row in await session.execute(
            select(movements.c.account, func.sum(movements.c.delta).label("net")).group_by(
                movements.c.account
            )
        )
    }
    report.books_balance = sum(nets.values()) == 0
    report.entries_checked = int(await session.scalar(select(func.count(entries.c.id))) or 0)
    expected: dict[str, dict[str, int]] = {}
    for account, net in nets.items():
        parsed = acc.parse_member_account(account)
        if parsed is None:
            report.accounts[account] = net
        else:
            expected.setdefault(parsed[0], {})[parsed[1]] = net
    earned = await _per_member(session, EntryKind.EARN, EntryKind.REVERSE)
    redeemed = await _per_member(session, EntryKind.REDEEM, EntryKind.CAPTURE)
    in_lots = await _lots_per_member(session)
    for row in await session.execute(select(balances)):
        report.members_checked += 1
        sums = expected.pop(row.member_id, {})
        for purpose in (acc.AVAILABLE, acc.PENDING, acc.HELD):
            if getattr(row, purpose) != sums.get(purpose, 0):
                report.mismatches.append(
                    f"{row.member_id}: {purpose} is {getattr(row, purpose)}"
                    f" but entries sum to {sums.get(purpose, 0)}"
                )
        checks = {
            "lifetime_earned": earned.get(row.member_id, 0),
            "lifetime_redeemed": redeemed.get(row.member_id, 0),
        }
        for name, total in checks.items():
            if getattr(row, name) != total:
                report.mismatches.append(
                    f"{row.member_id}: {name} is {getattr(row, name)} but entries sum to {total}"
                )
        lots_available, lots_pending = in_lots.get(row.member_id, (0, 0))
        if (lots_available, lots_pending) != (max(row.available, 0), row.pending):
            report.mismatches.append(
                f"{row.member_id}: lots hold {lots_available} available and {lots_pending} pending"
            )
    report.mismatches.extend(f"{m}: entries but no balance row" for m in expected)
    return report


async def _per_member(session: AsyncSession, plus: EntryKind, minus: EntryKind) -> dict[str, int]:
    """Per member: points of ``plus`` entries minus those of ``minus`` entries."""
    signed = func.sum(
        case((entries.c.kind == plus.value, entries.c.points), else_=-entries.c.points)
    )
    rows = await session.execute(
        select(entries.c.member_id, signed.label("total"))
        .where(entries.c.kind.in_([plus.value, minus.value]))
        .group_by(entries.c.member_id)
    )
    return {r.member_id: int(r.total) for r in rows}


async def _lots_per_member(session: AsyncSession) -> dict[str, tuple[int, int]]:
    rows = await session.execute(
        select(lots.c.member_id, lots.c.status, func.sum(lots.c.remaining).label("remaining"))
        .where(lots.c.status != LotStatus.EXPIRED.value)
        .group_by(lots.c.member_id, lots.c.status)
    )
    result: dict[str, tuple[int, int]] = {}
    for r in rows:
        available, pending = result.get(r.member_id, (0, 0))
        if r.status == LotStatus.AVAILABLE.value:
            available = int(r.remaining)
        else:
            pending = int(r.remaining)
        result[r.member_id] = (available, pending)
    return result
