"""Fingerprints are stored with every operation: the same command must keep giving the same
text, so a replay after an upgrade is still recognised as a repeat."""

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime

import pytest

from services.ledger.domain.commands import (
    AdjustPoints,
    AwardedPoints,
    RecordAward,
    RecordDecision,
    RedeemPoints,
    RevokeDecision,
    RevokedPoints,
)
from services.ledger.service_layer.fingerprints import fingerprint

WHEN = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
COMMANDS = [
    RecordDecision(
        "d1",
        "m1",
        "e1",
        (
            AwardedPoints("a1", 230, "base-earn", 3, "1 point per DKK (230.40 DKK)", WHEN),
            AwardedPoints("a2", 130, "dairy", 1, "dobbelt point på mejeri ø", None),
        ),
    ),
    RevokeDecision(
        "d2", "m1", "e2", (RevokedPoints("r1", 50, "e1", "base-earn", 3, "x", "a1"),), "da"
    ),
    RecordAward("a3", "m2", 10, "review", 1, "thanks", "e3", None),
    RedeemPoints("red1", "m1", 100, "coffee", hold_seconds=None),
    AdjustPoints("adj1", "m1", -5, 'goodwill "quoted"', "admin"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: type(c).__name__)
def test_a_fingerprint_is_the_one_stored_before(command: object) -> None:
    fields = asdict(command)  # type: ignore[call-overload]
    fields.pop("language", None)  # (how to tell the member: came later, not fingerprinted)
    for award in fields.get("awards", ()):
        award.pop("notice")  # (the message its rule asks for: likewise)
    before = json.dumps(fields, sort_keys=True, default=str)
    assert fingerprint(command) == hashlib.sha256(before.encode()).hexdigest()


def test_different_content_gives_a_different_fingerprint() -> None:
    first = RecordAward("a3", "m2", 10, "review", 1, "thanks", "e3", None)
    assert fingerprint(first) != fingerprint(
        RecordAward("a3", "m2", 11, "review", 1, "thanks", "e3", None)
    )


def test_the_language_of_the_explanations_is_not_part_of_the_request() -> None:
    decision = COMMANDS[0]
    assert isinstance(decision, RecordDecision)
    told_in_swedish = RecordDecision(
        decision.decision_id,
        decision.member_id,
        decision.source_event_id,
        decision.awards,
        language="sv",
    )
    assert fingerprint(told_in_swedish) == fingerprint(decision)
