"""The ledger's operations on an in-memory member account: pure domain, no database."""

from datetime import UTC, datetime, timedelta

import pytest

from services.ledger.domain import accounts as acc
from services.ledger.domain import operations as ops
from services.ledger.domain.entries import Cause, EntryKind
from services.ledger.domain.errors import InsufficientPoints, InvalidPoints, RedemptionStateConflict
from services.ledger.domain.lots import LotStatus
from services.ledger.domain.model import MemberAccount, Policy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = Policy(expire_after=timedelta(days=365))
WHY = Cause(
    explanation="1 point per whole DKK spent",
    rule_id="base-earn",
    rule_version=1,
    source_event_id="purchase-1",
)


def earn(
    account: MemberAccount,
    points: int,
    *,
    op: str = "a1",
    event: str = "purchase-1",
    pending_days: int | None = None,
    at: datetime = T0,
) -> None:
    cause = Cause(explanation="earned", source_event_id=event)
    pending_until = at + timedelta(days=pending_days) if pending_days else None
    ops.earn(
        account,
        operation_id=op,
        points=points,
        pending_until=pending_until,
        cause=cause,
        now=at,
        policy=POLICY,
    )


def balances(account: MemberAccount) -> tuple[int, int, int]:
    assert account.invariant_violations() == []
    return account.available, account.pending, account.held


def test_earning_credits_the_wallet_from_the_program_in_one_balanced_entry() -> None:
    account = MemberAccount("m")
    op = ops.earn(
        account, operation_id="a1", points=120, pending_until=None, cause=WHY, now=T0, policy=POLICY
    )
    [entry] = op.entries
    assert (entry.debit_account, entry.credit_account) == (acc.PROGRAM_ISSUED, "member:m:available")
    assert (entry.points, entry.available_after, entry.cause.rule_id) == (120, 120, "base-earn")
    assert balances(account) == (120, 0, 0)


@pytest.mark.parametrize("points", [0, -5])
def test_earning_refuses_points_that_are_not_positive(points: int) -> None:
    with pytest.raises(InvalidPoints, match="positive"):
        earn(MemberAccount("m"), points)


def test_pending_points_mature_when_the_return_window_has_passed() -> None:
    account = MemberAccount("m")
    earn(account, 100, pending_days=30)
    assert balances(account) == (0, 100, 0)
    assert account.lots_due_to_mature(T0 + timedelta(days=29)) == []
    [lot] = account.lots_due_to_mature(T0 + timedelta(days=30))
    op = ops.mature(account, lot.lot_id, now=T0 + timedelta(days=30), policy=POLICY)
    assert op is not None
    assert balances(account) == (100, 0, 0)
    assert lot.expires_at == T0 + timedelta(days=30 + 365)


def test_a_return_takes_pending_points_first_then_available() -> None:
    account = MemberAccount("m")
    earn(account, 60, op="a1", event="purchase-1")
    earn(account, 40, op="a2", event="purchase-1", pending_days=30)
    op = ops.reverse(
        account, operation_id="r1", points=70, revokes_event_id="purchase-1", cause=WHY, now=T0
    )
    assert [(e.debit_account, e.points) for e in op.entries] == [
        ("member:m:pending", 40),
        ("member:m:available", 30),
    ]
    assert balances(account) == (30, 0, 0)
    assert account.lifetime_earned == 30


def test_a_return_after_the_points_were_spent_leaves_the_member_owing() -> None:
    account = MemberAccount("m")
    earn(account, 100)
    ops.redeem(account, redemption_id="x", points=90, description="coffee", now=T0)
    ops.reverse(
        account, operation_id="r1", points=100, revokes_event_id="purchase-1", cause=WHY, now=T0
    )
    assert balances(account) == (-90, 0, 0)
    with pytest.raises(InsufficientPoints):
        ops.redeem(account, redemption_id="y", points=1, description="tea", now=T0)
    earn(account, 100, op="a2", event="purchase-2")  # pays the debt first
    assert balances(account) == (10, 0, 0)


def test_a_redemption_never_drives_available_below_zero() -> None:
    account = MemberAccount("m")
    earn(account, 50)
    with pytest.raises(InsufficientPoints, match="50 are available"):
        ops.redeem(account, redemption_id="x", points=51, description="mug", now=T0)
    assert balances(account) == (50, 0, 0)
    assert account.operations[-1].kind is EntryKind.EARN


def test_available_points_expire_oldest_lot_first_and_spending_uses_the_oldest() -> None:
    account = MemberAccount("m")
    earn(account, 100, op="old", at=T0)
    earn(account, 100, op="new", event="purchase-2", at=T0 + timedelta(days=100))
    ops.redeem(
        account, redemption_id="x", points=30, description="mug", now=T0 + timedelta(days=101)
    )
    assert account.lots["old"].remaining == 70
    [due] = account.lots_due_to_expire(T0 + timedelta(days=365))
    op = ops.expire(account, due.lot_id, now=T0 + timedelta(days=365))
    assert op is not None
    assert (op.entries[0].credit_account, op.points) == (acc.PROGRAM_BREAKAGE, 70)
    assert balances(account) == (100, 0, 0)
    assert account.lots["old"].status is LotStatus.EXPIRED


def test_a_hold_is_captured_or_released_and_settling_twice_changes_nothing() -> None:
    account = MemberAccount("m")
    earn(account, 100)
    ops.redeem(
        account,
        redemption_id="h1",
        points=40,
        description="kettle",
        now=T0,
        hold_until=T0 + timedelta(days=3),
    )
    ops.redeem(
        account,
        redemption_id="h2",
        points=50,
        description="tickets",
        now=T0,
        hold_until=T0 + timedelta(days=3),
    )
    assert balances(account) == (10, 0, 90)
    assert ops.capture(account, account.redemptions["h1"], now=T0) is not None
    assert ops.capture(account, account.redemptions["h1"], now=T0) is None
    assert ops.release(account, account.redemptions["h2"], now=T0) is not None
    assert ops.release(account, account.redemptions["h2"], now=T0) is None
    with pytest.raises(RedemptionStateConflict):
        ops.capture(account, account.redemptions["h2"], now=T0)
    assert balances(account) == (60, 0, 0)
    assert account.lifetime_redeemed == 40


def test_points_released_after_their_lot_expired_expire_at_the_next_run() -> None:
    account = MemberAccount("m")
    earn(account, 100)
    ops.redeem(
        account,
        redemption_id="h",
        points=100,
        description="trip",
        now=T0,
        hold_until=T0 + timedelta(days=400),
    )
    later = T0 + timedelta(days=366)
    assert account.lots_due_to_expire(later) == []  # held points are not in the lot
    ops.release(account, account.redemptions["h"], now=later)
    assert [lot.lot_id for lot in account.lots_due_to_expire(later)] == ["a1"]


def test_an_adjustment_names_its_actor_and_cannot_take_more_than_is_there() -> None:
    account = MemberAccount("m")
    cause = Cause(explanation="goodwill after a lost parcel", actor="support-api-key")
    op = ops.adjust(account, operation_id="adj-1", points=25, cause=cause, now=T0, policy=POLICY)
    assert op.entries[0].cause.actor == "support-api-key"
    with pytest.raises(InsufficientPoints):
        ops.adjust(account, operation_id="adj-2", points=-26, cause=cause, now=T0, policy=POLICY)
    with pytest.raises(InvalidPoints):
        ops.adjust(account, operation_id="adj-3", points=0, cause=cause, now=T0, policy=POLICY)
    assert balances(account) == (25, 0, 0)


def test_a_decisions_points_that_wait_out_the_same_window_are_one_lot_with_an_entry_per_rule() -> (
    None
):
    account = MemberAccount("m")
    window = T0 + timedelta(days=14)

    def part(award: str, rule: str, points: int, until: datetime | None) -> ops.Earning:
        cause = Cause(explanation=rule, rule_id=rule, source_event_id="purchase-1")
        return ops.Earning(lot_id=award, points=points, pending_until=until, cause=cause)

    parts = [
        part("aw-base", "base-earn", 300, window),
        part("aw-dairy", "dairy-double", 100, window),
        part("aw-app", "app-purchase", 20, None),  # no return window: available now
    ]
    op = ops.earn_all(account, operation_id="d1", earnings=parts, now=T0, policy=POLICY)
    assert [(e.cause.rule_id, e.points, e.lot_id) for e in op.entries] == [
        ("base-earn", 300, "aw-base"),
        ("dairy-double", 100, "aw-base"),
        ("app-purchase", 20, "aw-app"),
    ]
    assert {k: (v.points, v.status) for k, v in account.lots.items()} == {
        "aw-base": (400, LotStatus.PENDING),
        "aw-app": (20, LotStatus.AVAILABLE),
    }
    assert balances(account) == (20, 400, 0)
    taking = ops.Taking(
        points=50,
        revokes_event_id="purchase-1",
        lot_id="aw-dairy",  # merged into its window's lot: taken from there
        cause=Cause(explanation="returned", rule_id="dairy-double"),
    )
    ops.reverse_all(account, operation_id="r1", takings=[taking], now=T0 + timedelta(days=1))
    assert balances(account) == (20, 350, 0)
    [lot] = account.lots_due_to_mature(window)
    ops.mature(account, lot.lot_id, now=window, policy=POLICY)
    assert balances(account) == (370, 0, 0)
