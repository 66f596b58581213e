"""Deliveries over email and push: queued, sent once, retried with backoff when the failure is
transient, given up when it is permanent or retries run out. Pure: the standard library only."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from services.notifications.domain.notices import Channel


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # will be retried
    GAVE_UP = "gave_up"
    FOLDED = "folded"  # merged into a digest that was sent instead


# Deliveries that will not be tried again: their logs may go once old (retention).
FINISHED = frozenset({DeliveryStatus.SENT, DeliveryStatus.GAVE_UP, DeliveryStatus.FOLDED})


# Kinds of small news that are folded into one digest when several wait at once.
DIGEST_KINDS = frozenset({"points_earned"})


def digest_groups(due: list["Delivery"]) -> list[list["Delivery"]]:
    """Due deliveries grouped: several digestible ones for one member and channel together,
    every other delivery alone."""
    groups: dict[tuple[str, str], list[Delivery]] = {}
    alone: list[list[Delivery]] = []
    for delivery in due:
        if delivery.kind in DIGEST_KINDS:
            groups.setdefault((delivery.member_id, delivery.channel.value), []).append(delivery)
        else:
            alone.append([delivery])
    return alone + list(groups.values())


class DeliveryError(Exception):
    """A channel could not deliver. ``transient``: worth retrying (SMTP 4xx, HTTP 5xx or 429,
    timeouts); otherwise permanent (SMTP 5xx, HTTP 4xx)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


@dataclass(slots=True)
class Delivery:
    delivery_id: str  # derived from cause, kind and channel: one delivery per cause
    member_id: str
    channel: Channel
    kind: str
    address: str  # email address or push token
    subject: str
    body: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    html: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None

    def succeeded(self, now: datetime) -> None:
        self.status, self.sent_at, self.attempts = DeliveryStatus.SENT, now, self.attempts + 1
        self.last_error = None

    def failed(
        self,
        error: DeliveryError,
        now: datetime,
        *,
        max_attempts: int,
        base_delay: float = 2.0,
        jitter: random.Random | None = None,
    ) -> None:
        """Schedule a retry with exponential backoff and "equal jitter" (a pause between half
        the ceiling and the ceiling, which doubles with each attempt), or give up."""
        self.attempts += 1
        self.last_error = str(error)[:500]
        if not error.transient or self.attempts >= max_attempts:
            self.status = DeliveryStatus.GAVE_UP
            return
        ceiling = base_delay * 2 ** (self.attempts - 1)
        delay = (jitter or random.Random()).uniform(ceiling / 2, ceiling)  # noqa: S311
        self.status, self.next_attempt_at = DeliveryStatus.FAILED, now + timedelta(seconds=delay)
