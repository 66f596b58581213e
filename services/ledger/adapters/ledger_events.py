"""Ledger operations as they travel on ``loyalty.ledger.v1``."""

from typing import Any

from services.ledger.domain.entries import PAST_TENSE, EntryKind, Operation
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.json import json_time
from shared.contracts.ledger import ledger_event_type

SOURCE = "pointstream/ledger"


def ledger_event(op: Operation) -> CloudEvent:
    """The operation's news: its ``data`` the JSON of :class:`LedgerEvent`, byte for byte,
    built from the ledger's own (already checked) values without validating them again (the
    model's validation and dump cost more than half of building the news; the unit tests
    compare both ways' JSON)."""
    assert op.balance is not None, "a finished operation carries the balance after it"
    kind = PAST_TENSE[op.kind]
    cause, balance = op.cause, op.balance
    data = {
        "operation_id": op.operation_id,
        "member_id": op.member_id,
        "kind": kind,
        "points": op.points,
        "status": _status(op),
        "explanation": cause.explanation,
        "rule_id": cause.rule_id,
        "rule_version": cause.rule_version,
        "source_event_id": cause.source_event_id,
        "recorded_at": json_time(op.recorded_at),
        "postings": [
            {
                "entry_id": e.entry_id,
                "debit_account": e.debit_account,
                "credit_account": e.credit_account,
                "points": e.points,
            }
            for e in op.entries
        ],
        "balance": {
            "available": balance.available,
            "pending": balance.pending,
            "held": balance.held,
            "lifetime_earned": balance.lifetime_earned,
            "lifetime_redeemed": balance.lifetime_redeemed,
        },
        "parts": _parts(op),
        "language": cause.language,
        "explanations": dict(cause.translations) or None,
        "notice": cause.notice if op.kind is EntryKind.EARN else None,
    }
    # The operation id already derives from its cause, so replays give the same event id.
    return new_event(
        id=f"ledger/{op.operation_id}",
        source=SOURCE,
        type=ledger_event_type(kind),
        subject=op.member_id,
        data=data,
        time=op.recorded_at,
    )


def _status(op: Operation) -> str | None:
    if op.kind is not EntryKind.EARN:
        return None
    if op.pending_points == 0:
        return "available"
    return "pending" if op.pending_points == op.points else "partly_pending"


def _parts(op: Operation) -> list[dict[str, Any]]:
    """Each rule's share, when more than one rule moved the points (in posting order)."""
    shares: dict[str | None, dict[str, Any]] = {}
    for e in op.entries:
        if e.cause is op.cause:
            return []  # one reason for all of it: the operation's own explanation says it
        key = e.cause.rule_id
        prior = shares.get(key)
        status = None
        if op.kind is EntryKind.EARN:
            status = "pending" if e.credit_account.endswith(":pending") else "available"
        shares[key] = {
            "points": e.points + (prior["points"] if prior else 0),
            "rule_id": e.cause.rule_id,
            "rule_version": e.cause.rule_version,
            "explanation": e.cause.explanation,
            "status": status,
        }
    return list(shares.values())
