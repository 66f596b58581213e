"""The member state's JSON column: the fast codec keeps every field, and reads and writes
what the previous release writes and reads (both run at once during a rolling upgrade)."""

from datetime import UTC, date, datetime, timedelta

from services.rules.adapters.state_codec import member_from_json, member_json, member_to_json
from services.rules.domain.audiences import Group, OfferHolding
from services.rules.domain.challenges import Progress
from services.rules.domain.member import MemberState, RuleUsage
from shared.contracts.json import dumps_column, loads_column
from tests.unit.previous import state_codec as previous

NOW = datetime(2026, 12, 4, 21, 30, 15, 123456, tzinfo=UTC)


def _everything_set() -> MemberState:
    return MemberState(
        member_id="m-1",
        enrolled_at=NOW - timedelta(days=400),
        birthday=date(1990, 2, 28),
        language="da",
        timezone="Europe/Copenhagen",
        tier="gold",
        purchases_total=12,
        purchases_by_month={"2026-11": 3, "2026-12": 1},
        spend_by_month={"2026-11": "1249.50"},
        points_by_month={"2026-11": 1249},
        categories_bought=["bakery", "dairy"],
        last_purchase_at=NOW,
        referrals=2,
        complaints_resolved=1,
        usage={"base-earn": RuleUsage("2026-12-04", 90, "2026-12", 400, 5000, [2025, 2026])},
        daily={"2026-12-04": [1, "249.90"]},
        channels={"pos": 10, "web": 2},
        nps_score=9,
        attributes={"store": "Aarhus C", "version": 7, "nested": {"a": [1, "2"]}},
        audiences={"regulars": NOW.isoformat()},
        offers={
            "bakery-boost": OfferHolding(Group.TREATED, NOW, None),
            "coffee": OfferHolding(Group.CONTROL, NOW - timedelta(days=1), NOW),
        },
        challenges={"three-weeks": Progress(NOW.isoformat(), 2, "2026-W49", ["dairy"], None)},
        badges={"regular": NOW.isoformat()},
        open_complaints=["c-1"],
        last_review_at=NOW - timedelta(days=3),
        last_referral_at=NOW - timedelta(days=9),
        stage="advocate",
        stage_since=NOW.isoformat(),
        version=41,
    )


def _through_the_column(value: object) -> dict[str, object]:
    """As PostgreSQL gives it back."""
    parsed: dict[str, object] = loads_column(dumps_column(value))
    return parsed


def test_every_field_is_written_and_read_back_and_the_version_stays_in_its_column() -> None:
    member = _everything_set()
    stored = _through_the_column(member_json(member))
    assert "version" not in stored
    assert stored["attributes"] == {"store": "Aarhus C", "version": 7, "nested": {"a": [1, "2"]}}
    assert member_from_json("m-1", stored, 41) == member
    assert member_to_json(member) == stored


def test_the_previous_release_reads_what_this_one_writes_and_the_other_way_round() -> None:
    member = _everything_set()
    assert previous.member_from_json("m-1", _through_the_column(member_json(member)), 41) == member
    assert (
        member_from_json("m-1", _through_the_column(previous.member_to_json(member)), 41) == member
    )
    for empty in (MemberState("m-2"), MemberState("m-2", version=3)):
        written = _through_the_column(member_json(empty))
        assert previous.member_from_json("m-2", written, empty.version) == empty
        assert written == previous.member_to_json(empty)  # same keys, same values
