"""A ``points.decided`` is written without building PointsDecided (#31): its JSON must be the
model's, key for key and in the same order, and whatever the model refuses must still be
refused — for every shape a decision takes, and for values at and past each limit."""

import json
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from services.rules.adapters.award_events import decision_events
from services.rules.adapters.decided_json import award_id, decision_id, revocation_id
from services.rules.domain.member import MemberState
from services.rules.domain.model import Award, Decision, LoyaltyEvent, Revocation
from shared.contracts.awards import AwardedPart, PointsDecided, RevokedPart
from shared.contracts.envelope import derived_id

T0 = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)


def _the_model_way(decision: Decision, event: LoyaltyEvent) -> list[dict[str, Any]]:
    """What rules wrote before: each part and the decision validated, then dumped."""
    awards: dict[str, list[AwardedPart]] = {}
    for a in decision.awards:
        part = AwardedPart(
            award_id=award_id(a), points=a.points, rule_id=a.rule_id,
            rule_version=a.rule_version, driver=a.driver, explanation=a.explanation,
            pending_until=a.pending_until, funded_by=a.funded_by, notice=a.notice,
        )  # fmt: skip
        awards.setdefault(a.member_id, []).append(part)
    revocations: dict[str, list[RevokedPart]] = {}
    for r in decision.revocations:
        revoked = RevokedPart(
            revocation_id=revocation_id(r), points=r.points, revokes_event_id=r.revokes_event_id,
            revokes_award_id=derived_id(r.revokes_event_id, r.rule_id), rule_id=r.rule_id,
            rule_version=r.rule_version, explanation=r.explanation,
        )  # fmt: skip
        revocations.setdefault(r.member_id, []).append(revoked)
    parts: list[Award | Revocation] = [*decision.awards, *decision.revocations]
    language = parts[0].language if parts else "en"
    kinds: list[tuple[str, dict[str, Any]]] = [("awards", awards), ("revocations", revocations)]
    return [
        PointsDecided(
            decision_id=decision_id(event.event_id, member), member_id=member,
            source_event_id=event.event_id, source_event_type=event.event_type,
            decided_at=event.occurred_at, language=language, **{kind: these},
        ).model_dump(mode="json")
        for kind, by_member in kinds
        for member, these in by_member.items()
    ]  # fmt: skip


def _time(rnd: random.Random) -> datetime:
    moment = T0 + timedelta(seconds=rnd.randrange(10**6), microseconds=rnd.randrange(10**6))
    return rnd.choice([moment, moment.astimezone(timezone(timedelta(hours=1)))])


def _edge(rnd: random.Random, usual: Any, *edges: Any) -> Any:
    return rnd.choice(edges) if rnd.random() < 0.03 else usual


def _decision(rnd: random.Random) -> tuple[Decision, LoyaltyEvent]:
    occurred = _edge(rnd, _time(rnd), T0.replace(tzinfo=None))
    event = LoyaltyEvent(
        event_id=_edge(rnd, f"e-{rnd.randrange(10**6)}", "", "e" * 200, "e" * 201),
        event_type=_edge(rnd, "purchase.completed", "", "t" * 201),
        member_id="m-1",
        occurred_at=occurred,
    )
    members = ["m-1", "m-2"] if rnd.random() < 0.2 else ["m-1"]
    language = _edge(rnd, rnd.choice(["en", "da", "sv"]), "x" * 10, "x" * 11)

    def common() -> dict[str, Any]:
        return {
            "member_id": rnd.choice(members),
            "points": _edge(rnd, rnd.randint(1, 5000), 0, -3, 10**9, 10**9 + 1, True),
            "rule_id": _edge(rnd, rnd.choice(["base-earn", "dairy-2x"]), "", "r" * 200, "r" * 201),
            "rule_version": _edge(rnd, rnd.randint(1, 9), 0),
            "explanation": _edge(
                rnd, rnd.choice(["Points", 'Dobbelt point ✓ "x"']), "", "a" * 500, "a" * 501
            ),
            "source_event_id": event.event_id,
            "language": language,
        }

    awards, revocations = [], []
    if rnd.random() < 0.75 or rnd.random() < 0.05:
        for _ in range(_edge(rnd, rnd.randint(1, 4), 0)):
            awards.append(
                Award(
                    **common(),
                    driver=rnd.choice(["economic", "emotional"]),
                    source_event_type=event.event_type,
                    awarded_at=event.occurred_at,
                    pending_until=rnd.choice(
                        [None, _time(rnd), _edge(rnd, None, T0.replace(tzinfo=None))]
                    ),
                    funded_by=rnd.choice([None, "coffee-partner"]),
                    notice=_edge(
                        rnd, rnd.choice([None, "birthday", "welcome", "goodwill"]), "party"
                    ),
                )
            )
    else:
        for _ in range(rnd.randint(1, 3)):
            revocations.append(
                Revocation(
                    **common(),
                    revokes_event_id=_edge(rnd, "e-0", "", "e" * 201),
                    revoked_at=event.occurred_at,
                )
            )
    return Decision(MemberState("m-1"), awards=awards, revocations=revocations), event


def _outcome(make: Any) -> Any:
    try:
        return [json.dumps(d) for d in make()]
    except ValidationError as exc:
        return {e["type"] for e in exc.errors()}


def test_a_decision_is_the_models_json_and_what_the_model_refuses_is_refused() -> None:
    rnd = random.Random(31)
    written, refused = 0, 0
    for _ in range(3000):
        decision, event = _decision(rnd)
        ours = _outcome(
            lambda: [m.data for m in decision_events(decision, event) if m.type == "points.decided"]  # noqa: B023
        )
        theirs = _outcome(lambda: _the_model_way(decision, event))  # noqa: B023
        assert type(ours) is type(theirs), (decision, event, ours, theirs)
        if isinstance(ours, set):  # both refused (the model says why, from its own fields)
            refused += 1
        else:
            assert ours == theirs, (decision, event)
            written += 1
    assert written > 1800  # both ways were compared, often
    assert refused > 600


def test_a_decision_of_more_parts_than_the_contract_allows_is_refused() -> None:
    event = LoyaltyEvent("e-1", "purchase.completed", "m-1", T0)

    def decision(parts: int) -> Decision:
        awards = [
            Award("m-1", 1, f"rule-{i}", 1, "economic", "Points", "e-1", event.event_type, T0)
            for i in range(parts)
        ]
        return Decision(MemberState("m-1"), awards=awards)

    for parts in (1000, 1001):
        ours = _outcome(lambda: [m.data for m in decision_events(decision(parts), event)])  # noqa: B023
        assert ours == _outcome(lambda: _the_model_way(decision(parts), event))  # noqa: B023
        assert isinstance(ours, set) is (parts > 1000)
