"""Fakes for the unit tests of pure domain and service-layer code: each service's tables as
dicts and lists, answering with the same meaning as the real repository's queries."""

from tests.unit.fakes.ledger import FakeLedger
from tests.unit.fakes.notifications import FakeNotifications
from tests.unit.fakes.rules import FakeRulesUnitOfWork

__all__ = ["FakeLedger", "FakeNotifications", "FakeRulesUnitOfWork"]
