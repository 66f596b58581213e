"""The notification service's tables for unit tests."""

import copy
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from services.notifications.domain.deliveries import FINISHED, Delivery, DeliveryStatus
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.preferences import Preferences
from tests.unit.fakes.transaction import FakeErasedMembers, FakeTransaction


class FakeNotifications(FakeErasedMembers, FakeTransaction):
    """The notification service's tables as lists and dicts (changes apply at once)."""

    def __init__(self, templates: dict[str, dict[str, dict[str, str]]]) -> None:
        super().__init__()
        self.texts = templates
        self.prefs: dict[str, Preferences] = {}
        self.messages: list[InboxMessage] = []
        self.deliveries: dict[str, Delivery] = {}
        self.read: set[str] = set()  # message ids marked read
        self.used_sign_ins: dict[str, datetime] = {}

    @property
    def members(self) -> "FakeNotifications":
        """Each repository: these same lists and dicts."""
        return self

    templates = inbox = members

    async def erase(self, member_id: str, erasure_event_id: str, now: datetime) -> bool:
        if not self._erasing(member_id, now):
            return False
        self.prefs.pop(member_id, None)
        self.messages = [m for m in self.messages if m.member_id != member_id]
        self.deliveries = {i: d for i, d in self.deliveries.items() if d.member_id != member_id}
        return True

    async def preferences(self, member_id: str) -> Preferences | None:
        return self.prefs.get(member_id)

    async def preferences_by_token(self, token: str) -> Preferences | None:
        return next((p for p in self.prefs.values() if p.unsubscribe_token == token), None)

    async def preferences_of(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return {m: self.prefs[m] for m in member_ids if m in self.prefs}

    async def preferences_for_update(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        return {m: copy.deepcopy(self.prefs[m]) for m in member_ids if m in self.prefs}

    async def save_preferences(self, found: Collection[Preferences]) -> None:
        for p in found:
            self.prefs[p.member_id] = copy.deepcopy(p)

    async def all_templates(self) -> dict[tuple[str, str], tuple[str, str]]:
        return {
            (kind, language): (text["title"], text["body"])
            for kind, texts in self.texts.items()
            for language, text in texts.items()
        }

    async def save_template(self, kind: str, language: str, title: str, body: str) -> None:
        self.texts.setdefault(kind, {})[language] = {"title": title, "body": body}

    async def forget_older(self, messages_before: datetime, deliveries_before: datetime) -> int:
        kept = [m for m in self.messages if m.created_at >= messages_before]
        old = [
            i
            for i, d in self.deliveries.items()
            if d.created_at < deliveries_before and d.status in FINISHED
        ]
        for delivery_id in old:
            del self.deliveries[delivery_id]
        gone = len(self.messages) - len(kept) + len(old)
        self.messages = kept
        return gone

    async def mark_read(self, member_id: str, message_id: str) -> bool:
        found = any(m.member_id == member_id and m.message_id == message_id for m in self.messages)
        if not found or message_id in self.read:
            return False
        self.read.add(message_id)
        return True

    async def add_all(self, messages: list[InboxMessage], deliveries: list[Delivery]) -> set[str]:
        written = set()
        for message in messages:
            if all(m.message_id != message.message_id for m in self.messages):
                self.messages.append(message)
                written.add(message.message_id)
        for delivery in deliveries:
            if delivery.delivery_id not in self.deliveries:
                self.deliveries[delivery.delivery_id] = delivery
                written.add(delivery.delivery_id)
        return written

    async def template(self, kind: str, language: str) -> tuple[str, str] | None:
        texts = self.texts.get(kind, {})
        found = texts.get(language) or texts.get("en")
        return None if found is None else (found["title"], found["body"])

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[Delivery]:
        due = [
            d
            for d in self.deliveries.values()
            if d.status in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
            and d.next_attempt_at <= now
        ][:limit]
        for delivery in due:
            delivery.next_attempt_at = now + lease
        return [copy.deepcopy(d) for d in due]

    async def renew_lease(self, held: Sequence[Delivery], until: datetime) -> bool:
        stored = [self.deliveries[d.delivery_id] for d in held]
        if any(
            s.next_attempt_at != held[0].next_attempt_at
            or s.status not in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
            for s in stored
        ):
            return False
        for d in (*stored, *held):
            d.next_attempt_at = until
        return True

    async def save_delivery(self, delivery: Delivery) -> None:
        self.deliveries[delivery.delivery_id] = delivery

    async def use_sign_in(self, token_id: str, expires_at: datetime) -> bool:
        if token_id in self.used_sign_ins:
            return False
        self.used_sign_ins[token_id] = expires_at
        return True
