"""The rules engine against the handbook on the chaos runs' workload (``chaos/``): purchases
of several units in three currencies at the day's rate, partial and full returns of them,
NPS answers that earn, the organic challenge, duplicates. In process, so a rounding or tier
the engine and the handbook read differently shows here in seconds, not after a run of the
whole system; the chaos run checks the system against the same handbook."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from chaos import program
from chaos.checks import CHALLENGE_RULE
from chaos.workload import SKEW, workload
from services.rules.adapters.challenge_specs import ChallengeSpec
from services.rules.adapters.messages import evaluation
from services.rules.domain.exchange import Rate
from services.rules.service_layer.handlers import evaluate_event
from services.rules.service_layer.pack import DEFAULT_PACK, parse_pack
from services.rules.service_layer.rulebook import RuleBook
from shared.contracts.envelope import CloudEvent
from tests.e2e.handbook import handbook
from tests.unit.fakes import FakeRulesUnitOfWork

EVENTS = ("purchase", "return", "duplicate", "profile", "consent", "nps")


@pytest.mark.parametrize("seed", [7, 1359064468, 2024])
async def test_the_engine_books_the_chaos_workload_as_the_handbook_says(seed: int) -> None:
    start = datetime(2026, 6, 10, 23, 0, tzinfo=UTC)  # crosses midnight
    steps = list(workload(seed, events=6_000, members=150, start=start))
    erased = {s.member for s in steps if s.kind == "erasure"}
    events = [CloudEvent.model_validate(s.message) for s in steps if s.kind in EVENTS]
    spec = dict(program.specs())[f"/v1/challenges/{program.CHALLENGE}"]
    book = RuleBook.static_with(
        pack=parse_pack(DEFAULT_PACK.read_text()),
        challenges=[ChallengeSpec.model_validate(spec)],
    )
    uow = FakeRulesUnitOfWork()
    first, days = (start - SKEW).date(), (len(steps) // 86_400) + 3
    uow.rate_table = [
        Rate(currency, first + timedelta(days=d), rate)
        for d in range(days)
        for currency, rate in program.RATES.items()
    ]
    for event in events:
        await evaluate_event(evaluation(event), uow=uow, book=book)
    booked: dict[str, Counter[str]] = defaultdict(Counter)
    for award in uow.awards:
        booked[award.member_id][award.rule_id] += award.points
    for revocation in uow.revocations:
        booked[revocation.member_id][revocation.rule_id] -= revocation.points
    target = (CHALLENGE_RULE, program.CHALLENGE_TARGET, program.CHALLENGE_POINTS)
    want = handbook(events, rates=dict(program.RATES), challenge=target)
    members = {e.subject for e in events} - erased
    wrong = {
        m: {r: (booked[m][r], want.by_rule[m][r]) for r in diff}
        for m in sorted(members)
        if (diff := {r for r in booked[m] | want.by_rule[m] if booked[m][r] != want.by_rule[m][r]})
    }
    assert wrong == {}
    # The workload reached what the handbook is about here.
    rules = Counter(r for m in members for r, p in want.by_rule[m].items() if p)
    assert {"silver-multiplier", "gold-multiplier", "feedback", CHALLENGE_RULE} <= rules.keys()
    assert sum(e.data.get("currency") in program.RATES for e in events) > 100
