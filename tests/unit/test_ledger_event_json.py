"""The ledger's news is built without pydantic (#31): its JSON must be what the contract's
model writes, key for key and in the same order, for every kind of operation the ledger does
(so a consumer on either release reads it the same)."""

import json
import random
from datetime import UTC, datetime, timedelta, timezone

from services.ledger.adapters.ledger_events import ledger_event
from services.ledger.domain.entries import BalanceView, Cause, Entry, EntryKind, Operation
from shared.contracts.ledger import LedgerEvent


def _cause(rnd: random.Random, n: int) -> Cause:
    return Cause(
        explanation=rnd.choice(["Points for your purchase", "Dobbelt point på mejeri ✓", "x"]),
        rule_id=rnd.choice([None, f"rule-{n}"]),
        rule_version=rnd.choice([None, n + 1]),
        source_event_id=rnd.choice([None, "pos/r-1"]),
        language=rnd.choice([None, "en", "da"]),
        notice=rnd.choice([None, "birthday"]),
        translations=rnd.choice([(), (("en", "A refund"), ("da", "En refusion"))]),
    )


def _operation(rnd: random.Random) -> Operation:
    kind = rnd.choice(list(EntryKind))
    moment = datetime(2026, 12, 5, 5, 0, tzinfo=UTC) + timedelta(
        seconds=rnd.randrange(10**6), microseconds=rnd.choice([0, rnd.randrange(10**6)])
    )
    if rnd.random() < 0.2:
        moment = moment.astimezone(timezone(timedelta(hours=1)))
    cause = _cause(rnd, 0)
    op = Operation(f"op-{rnd.randrange(10**6)}", kind, "m-1", cause, moment)
    causes = [cause] if rnd.random() < 0.5 else [_cause(rnd, i) for i in range(1, 4)]
    for i in range(rnd.randint(1, 4)):
        points = rnd.randint(1, 500)
        account = rnd.choice(["member:m-1:available", "member:m-1:pending"])
        op.pending_points += points if account.endswith(":pending") else 0
        op.entries.append(
            Entry(
                f"e{i}",
                op.operation_id,
                "m-1",
                kind,
                points,
                "program:issued",
                account,
                0,
                0,
                0,
                None,
                rnd.choice(causes),
                moment,
            )
        )
    op.balance = BalanceView(*(rnd.randrange(10**5) for _ in range(5)))
    return op


def test_the_news_is_the_contract_models_json_byte_for_byte() -> None:
    rnd = random.Random(31)
    kinds, with_parts = set(), 0
    for _ in range(2000):
        data = ledger_event(_operation(rnd)).data
        assert data is not None
        reference = LedgerEvent.model_validate(data).model_dump(mode="json")
        assert json.dumps(data) == json.dumps(reference)
        kinds.add(data["kind"])
        with_parts += bool(data["parts"])
    assert len(kinds) == len(EntryKind)  # every shape was compared
    assert with_parts > 200
