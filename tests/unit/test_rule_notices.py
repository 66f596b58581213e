"""A rule says which message its points bring (``notice``): the notification service reads
that, never a rule's id, so renaming a rule cannot change what members are sent."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.notifications.adapters import messages
from services.notifications.domain.notices import Category
from services.rules.adapters.award_events import decision_events
from services.rules.adapters.rule_specs import RulePack, RuleSpec
from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import LoyaltyEvent
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.rulebook import RuleBook
from shared.contracts.awards import PointsDecided
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.names import STORED
from tests.unit.fakes import FakeRulesUnitOfWork

NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)


def earned(**fields: Any) -> CloudEvent:
    """``points.earned`` as the ledger sends it (``fields`` over the usual)."""
    data = {
        "operation_id": "op-1",
        "member_id": "m-1",
        "kind": "earned",
        "points": 150,
        "status": "available",
        "explanation": "Sorry, and thank you",
        "recorded_at": NOON.isoformat(),
        "postings": [],
        "balance": {"available": 150, "pending": 0, "lifetime_earned": 150},
        **fields,
    }
    return new_event(
        id="l-1", source="pointstream/ledger", type="points.earned", subject="m-1", data=data
    )


@pytest.mark.parametrize(
    ("fields", "kind", "category"),
    [
        ({"rule_id": "sorry-for-the-wait", "notice": "goodwill"}, "goodwill", Category.SERVICE),
        ({"rule_id": "my-birthday-treat", "notice": "birthday"}, "birthday", Category.BIRTHDAY),
        ({"rule_id": "hello", "notice": "welcome"}, "welcome", Category.SERVICE),
        # A rule named as the default pack's, asking for nothing: the points message.
        ({"rule_id": "birthday", "notice": None}, "points_earned", Category.POINTS),
        # A ledger of 0.1 sent no notice: the default pack's ids still choose (until 0.3).
        ({"rule_id": "referred-welcome"}, "welcome", Category.SERVICE),
        ({"rule_id": "base-earn"}, "points_earned", Category.POINTS),
    ],
)
def test_the_message_is_the_one_the_rule_asked_for(
    fields: dict[str, Any], kind: str, category: Category
) -> None:
    told = messages.ledger_news(earned(**fields))
    assert told is not None
    assert (told.notice.kind, told.notice.category) == (kind, category)


async def test_a_rule_spec_names_its_notice_and_the_decision_carries_it() -> None:
    spec = RuleSpec.model_validate(
        {
            "id": "sorry-for-the-wait",
            "name": "Sorry for the wait",
            "driver": "emotional",
            "events": ["complaint.resolved"],
            "effect": {"type": "fixed", "points": 150},
            "explanation": {"en": "Sorry, and thank you"},
            "notice": "goodwill",
        }
    )
    event = LoyaltyEvent(
        event_id="e-1",
        event_type="complaint.resolved",
        member_id="m-1",
        occurred_at=NOON,
        data={"complaint_id": "c-1", "severity": "high"},
    )
    book = RuleBook.static(RulePack(rules=[spec]))
    decision = await evaluate_event(EvaluateEvent(event), uow=FakeRulesUnitOfWork(), book=book)
    assert decision is not None
    [message] = [m for m in decision_events(decision, event) if m.type == "points.decided"]
    assert PointsDecided.model_validate(message.data).awards[0].notice == "goodwill"


def test_a_default_rule_stored_before_notices_keeps_its_message_and_a_new_spec_does_not() -> None:
    stored = {
        "id": "goodwill",
        "name": "Sorry, and thank you",
        "driver": "emotional",
        "events": ["complaint.resolved"],
        "effect": {"type": "fixed", "points": 150},
        "explanation": {"en": "Sorry, and thank you"},
    }
    assert RuleSpec.model_validate(stored, context=STORED).notice == "goodwill"
    assert RuleSpec.model_validate(stored).notice is None  # sent today: it says, or not
    assert RuleSpec.model_validate({**stored, "notice": None}, context=STORED).notice is None
    with pytest.raises(ValueError, match="notice"):
        RuleSpec.model_validate({**stored, "notice": "party"})
