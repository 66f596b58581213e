"""Proves the books: balances equal the sums of entries, members' balances and the program's
accounts net to zero, issued and redeemed points agree, lots agree."""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    func,
    insert,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.ledger.adapters.orm import balances, entries, lots
from services.ledger.adapters.rows import NO_POINTS
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


async def reconcile(
    session: AsyncSession, members: Collection[str] | None = None
) -> Reconciliation:
    """Check every member, or only ``members`` (and the entries they are party to). Entries
    name a member's account by its key (``balances.account_key``), never by the member's id."""

    def only(column: ColumnElement[str]) -> ColumnElement[bool]:
        return true() if members is None else column.in_(list(members))

    def only_keys(column: ColumnElement[str]) -> ColumnElement[bool]:
        if members is None:
            return true()
        return column.in_(select(balances.c.account_key).where(only(balances.c.member_id)))

    report = Reconciliation()
    sums = await _entry_sums(session, only_keys)
    report.accounts = sums.program_accounts
    report.entries_checked = sums.entries
    expected = dict(sums.per_member)
    in_lots = await _lots_per_member(session, only)
    held = earned = redeemed = 0  # what the balance rows, a store of their own, say in all
    for row in await session.execute(select(balances).where(only(balances.c.member_id))):
        report.members_checked += 1
        held += row.available + row.pending + row.held
        earned += row.lifetime_earned
        redeemed += row.lifetime_redeemed
        wanted = expected.pop(row.account_key, NO_POINTS)
        for name, total in wanted.items():
            if getattr(row, name) != total:
                report.mismatches.append(
                    f"{row.member_id}: {name} is {getattr(row, name)} but entries sum to {total}"
                )
        lots_available, lots_pending = in_lots.get(row.member_id, (0, 0))
        if (lots_available, lots_pending) != (max(row.available, 0), row.pending):
            report.mismatches.append(
                f"{row.member_id}: lots hold {lots_available} available and {lots_pending} pending"
            )
    report.mismatches.extend(f"account {k}: entries but no balance row" for k in expected)
    # The books balance when what members hold (their balance rows) and the program's accounts
    # (their own entries) net to zero; issued and redeemed points agree with the members'.
    report.books_balance = held + sum(report.accounts.values()) == 0
    issued = -report.accounts.get(acc.PROGRAM_ISSUED, 0)
    if issued != earned:
        report.mismatches.append(f"program:issued holds {issued}, members earned {earned}")
    spent = report.accounts.get(acc.PROGRAM_REDEEMED, 0)
    if spent != redeemed:
        report.mismatches.append(f"program:redeemed holds {spent}, members redeemed {redeemed}")
    return report


async def rebuild_balances(session: AsyncSession) -> tuple[int, int, int]:
    """Rewrite each balance that differs from its member's entries, in the caller's
    transaction, with writers kept out meanwhile; (members, entries read, rows rewritten)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE balances IN EXCLUSIVE MODE"))
    sums = await _entry_sums(session, lambda _: true())
    current = {row.account_key: row for row in await session.execute(select(balances))}
    now = datetime.now(UTC)
    rewritten = 0
    members = sums.per_member.keys() | current.keys()
    for key in members:
        wanted = sums.per_member.get(key, NO_POINTS)
        row = current.get(key)
        if row is None:  # whose the account was is not known: it is kept under its key
            await session.execute(
                insert(balances).values(
                    member_id=key, account_key=key, version=1, updated_at=now, **wanted
                )
            )
        elif any(getattr(row, name) != total for name, total in wanted.items()):
            await session.execute(
                update(balances)
                .where(balances.c.account_key == key)
                .values(version=row.version + 1, updated_at=now, **wanted)
            )
        else:
            continue
        rewritten += 1
    return len(members), sums.entries, rewritten


@dataclass
class _Sums:
    program_accounts: dict[str, int]
    entries: int
    per_member: dict[str, dict[str, int]]  # account key -> the balance row the entries imply


async def _entry_sums(session: AsyncSession, only: "Filter") -> _Sums:
    movements = union_all(
        select(entries.c.credit_account.label("account"), entries.c.points.label("delta")).where(
            only(entries.c.account_key)
        ),
        select(entries.c.debit_account.label("account"), (-entries.c.points).label("delta")).where(
            only(entries.c.account_key)
        ),
    ).subquery()
    nets = {
        row.account: int(row.net)
        for row in await session.execute(
            select(movements.c.account, func.sum(movements.c.delta).label("net")).group_by(
                movements.c.account
            )
        )
    }
    count = int(
        await session.scalar(select(func.count(entries.c.id)).where(only(entries.c.account_key)))
        or 0
    )
    program: dict[str, int] = {}
    purposes: dict[str, dict[str, int]] = {}
    for account, net in nets.items():
        parsed = acc.parse_member_account(account)
        if parsed is None:
            program[account] = net
        else:
            purposes.setdefault(parsed[0], {})[parsed[1]] = net
    earned = await _per_member(session, only, {EntryKind.EARN: 1, EntryKind.REVERSE: -1})
    redeemed = await _per_member(
        session, only, {EntryKind.REDEEM: 1, EntryKind.CAPTURE: 1, EntryKind.REFUND: -1}
    )
    per_member = {
        member: {
            "available": sums.get(acc.AVAILABLE, 0),
            "pending": sums.get(acc.PENDING, 0),
            "held": sums.get(acc.HELD, 0),
            "lifetime_earned": earned.get(member, 0),
            "lifetime_redeemed": redeemed.get(member, 0),
        }
        for member, sums in purposes.items()
    }
    return _Sums(program, count, per_member)


Filter = Callable[[ColumnElement[str]], ColumnElement[bool]]


async def _per_member(
    session: AsyncSession, only: Filter, signs: dict[EntryKind, int]
) -> dict[str, int]:
    """Per account key: the points of entries of the given kinds, each kind with its sign."""
    signed = func.sum(
        case(
            *(
                (entries.c.kind == kind.value, entries.c.points * sign)
                for kind, sign in signs.items()
            ),
            else_=0,
        )
    )
    query: Select[tuple[str, int]] = (
        select(entries.c.account_key, signed.label("total"))
        .where(entries.c.kind.in_([k.value for k in signs]), only(entries.c.account_key))
        .group_by(entries.c.account_key)
    )
    return {r.account_key: int(r.total) for r in await session.execute(query)}


async def _lots_per_member(session: AsyncSession, only: Filter) -> dict[str, tuple[int, int]]:
    rows = await session.execute(
        select(lots.c.member_id, lots.c.status, func.sum(lots.c.remaining).label("remaining"))
        .where(lots.c.status != LotStatus.EXPIRED.value, only(lots.c.member_id))
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
