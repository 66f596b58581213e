"""The ledger's invariants after arbitrary sequences of operations, on real PostgreSQL."""

import asyncio
import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from shared.db import create_engine, session_factory
from tests.ledger.machine import LedgerMachine

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("LEDGER_MACHINE_EXAMPLES", "30"))


def test_ledger_invariants_hold_for_any_sequence_of_operations(ledger_url: str) -> None:
    with asyncio.Runner() as runner:
        engine = create_engine(ledger_url)
        LedgerMachine.runner = runner
        LedgerMachine.sessions = session_factory(engine)
        try:
            run_state_machine_as_test(
                LedgerMachine,
                settings=settings(
                    max_examples=EXAMPLES,
                    stateful_step_count=25,
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                ),
            )
        finally:
            runner.run(engine.dispose())
