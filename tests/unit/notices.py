"""What the notification service's unit tests build: the default templates, an earning, a
member's preferences on in-memory tables."""

from datetime import UTC, datetime
from typing import Any

import yaml

from services.notifications.domain.notices import Notice, notice_for_ledger
from services.notifications.domain.preferences import Preferences
from services.notifications.service_layer.setup import DEFAULT_TEMPLATES
from shared.contracts.awards import NOTICES_OF_DEFAULT_RULES
from tests.unit.fakes import FakeNotifications

NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)
TEMPLATES = yaml.safe_load(DEFAULT_TEMPLATES.read_text())


def earned(
    points: int = 120,
    *,
    pending: bool = False,
    after: int = 340,
    rule: str = "base-earn",
    cause: str = "l-1",
) -> Notice:
    data = {
        "member_id": "m-1",
        "points": points,
        "explanation": "1 point per DKK spent",
        "status": "pending" if pending else "available",
        "rule_id": rule,
        "notice": NOTICES_OF_DEFAULT_RULES.get(rule),  # as the default pack's rule says
        "recorded_at": NOON.isoformat(),
        "balance": {"available": after},
    }
    notice = notice_for_ledger(cause, "earned", data)
    assert notice is not None
    return notice


def with_prefs(**changes: Any) -> FakeNotifications:
    """A member who agreed to email and push (consent is never assumed), with ``changes``."""
    store = FakeNotifications(TEMPLATES)
    consented: dict[str, Any] = {"email_consent": True, "push_consent": True}
    store.prefs["m-1"] = Preferences("m-1", **(consented | changes))
    return store
