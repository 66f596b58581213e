"""Ledger operations as they travel on ``loyalty.ledger.v1``."""

from services.ledger.domain.entries import PAST_TENSE, EntryKind, Operation
from shared.contracts.envelope import CloudEvent, new_event
from shared.contracts.ledger import BalanceSnapshot, LedgerEvent, Posting, ledger_event_type

SOURCE = "pointstream/ledger"


def ledger_event(op: Operation) -> CloudEvent:
    assert op.balance is not None, "a finished operation carries the balance after it"
    kind = PAST_TENSE[op.kind]
    payload = LedgerEvent(
        operation_id=op.operation_id,
        member_id=op.member_id,
        kind=kind,
        points=op.points,
        status=("pending" if op.pending else "available") if op.kind is EntryKind.EARN else None,
        explanation=op.cause.explanation,
        rule_id=op.cause.rule_id,
        rule_version=op.cause.rule_version,
        source_event_id=op.cause.source_event_id,
        recorded_at=op.recorded_at,
        postings=[
            Posting(
                entry_id=e.entry_id,
                debit_account=e.debit_account,
                credit_account=e.credit_account,
                points=e.points,
            )
            for e in op.entries
        ],
        balance=BalanceSnapshot(
            available=op.balance.available,
            pending=op.balance.pending,
            held=op.balance.held,
            lifetime_earned=op.balance.lifetime_earned,
            lifetime_redeemed=op.balance.lifetime_redeemed,
        ),
    )
    # The operation id already derives from its cause, so replays give the same event id.
    return new_event(
        id=f"ledger/{op.operation_id}",
        source=SOURCE,
        type=ledger_event_type(kind),
        subject=op.member_id,
        data=payload.model_dump(mode="json"),
        time=op.recorded_at,
    )
