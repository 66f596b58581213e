"""The ladder in the domain: the first stage whose condition holds, by the shipped default
(seed 000's model), and moves that keep the order they were made in."""

from datetime import UTC, datetime, timedelta

from services.rules.domain.member import MemberState
from services.rules.domain.placement import place
from services.rules.service_layer.stages import default_stages

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


def stage_after(member: MemberState, moment: datetime = NOW) -> str:
    place(member, member.facts(moment), moment, [], [], default_stages())
    return member.stage


def test_the_default_ladder_from_know_me_to_evangelist_or_terrorist() -> None:
    member = MemberState("m")
    assert stage_after(member) == "know-me"
    member.nps_score = 8
    assert stage_after(member) == "hear-me"
    member.nps_score = 10
    member.last_referral_at = NOW - timedelta(days=400)  # too long ago to count
    assert stage_after(member) == "hear-me"
    member.last_review_at = NOW - timedelta(days=30)
    assert stage_after(member) == "evangelist"
    member.nps_score = 2
    assert stage_after(member) == "forgive-me"
    member.open_complaints = ["c1"]
    assert stage_after(member) == "terrorist"
    member.nps_score, member.open_complaints = 9, []
    member.daily = {(NOW - timedelta(days=d)).date().isoformat(): [1, "50"] for d in (1, 20, 40)}
    member.last_review_at = None
    assert stage_after(member) == "grow-me"


def test_a_move_is_never_dated_before_the_members_last() -> None:
    member = MemberState("m")
    first = place(member, member.facts(NOW), NOW, [], [], default_stages()).stage
    assert first is not None
    member.nps_score = 2
    earlier = NOW - timedelta(seconds=5)  # a near event's own time, before the last move's
    moved = place(member, member.facts(earlier), earlier, [], [], default_stages()).stage
    assert moved is not None
    assert (moved.previous, moved.stage) == ("know-me", "forgive-me")
    assert moved.at == NOW
