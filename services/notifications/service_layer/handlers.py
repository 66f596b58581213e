"""Use cases of the notification service: decide what reaches a member where, and deliver."""

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from services.notifications.adapters.senders import Sender
from services.notifications.adapters.templates import InvalidTemplate, render
from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.deliveries import (
    Delivery,
    DeliveryError,
    DeliveryStatus,
    digest_groups,
)
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.notices import Channel
from services.notifications.domain.preferences import Preferences
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.contracts.envelope import derived_id

log = logging.getLogger(__name__)


async def notify_member(
    command: NotifyMember,
    *,
    uow: UnitOfWork,
    now: datetime | None = None,
    digest_window: timedelta = timedelta(0),
) -> list[Channel]:
    """Write the inbox message and queue email and push, each once per cause: a notice that
    arrives twice is delivered once. Outside quiet hours at once, else when they end (receipts
    do not wait). The channels it went to."""
    notice, now = command.notice, now or datetime.now(UTC)
    async with uow:
        prefs = await uow.preferences(notice.member_id) or Preferences(notice.member_id)
        found = await uow.template(notice.kind, prefs.language)
        if found is None:
            log.warning("no template", extra={"kind": notice.kind})
            return []
        try:
            text = render(*found, {**notice.values, "language": prefs.language})
        except InvalidTemplate:
            log.exception("template failed", extra={"kind": notice.kind})
            return []
        sent_to = []
        quiet_until = None if notice.transactional else prefs.quiet_until(now)
        send_at = max(quiet_until or now, now + digest_window if notice.digestible else now)
        for channel in prefs.channels_for(notice):
            key = derived_id(notice.cause_id, notice.kind, channel.value)
            if channel is Channel.INBOX:
                if await uow.message_exists(key):
                    continue
                await uow.add(
                    InboxMessage(
                        message_id=key,
                        member_id=notice.member_id,
                        kind=notice.kind,
                        title=text.title[:200],
                        body=text.text[:2000],
                        source_event_id=notice.cause_id,
                        created_at=notice.occurred_at,
                    )
                )
            else:
                if await uow.delivery_exists(key):
                    continue
                address = prefs.email if channel is Channel.EMAIL else prefs.push_token
                assert address is not None
                await uow.add_delivery(
                    Delivery(
                        delivery_id=key,
                        member_id=notice.member_id,
                        channel=channel,
                        kind=notice.kind,
                        address=address,
                        subject=text.title,
                        body=text.text,
                        html=text.html if channel is Channel.EMAIL else None,
                        status=DeliveryStatus.QUEUED,
                        attempts=0,
                        next_attempt_at=send_at,
                        created_at=now,
                    )
                )
            sent_to.append(channel)
        await uow.commit()
    return sent_to


async def deliver_due(
    *,
    uow: Callable[[], UnitOfWork],
    senders: Mapping[Channel, Sender],
    public_url: str,
    max_attempts: int,
    batch: int = 50,
    lease: timedelta = timedelta(minutes=2),
    now: datetime | None = None,
) -> int:
    """Attempt the deliveries that are due; how many were attempted. Several small earnings
    waiting for one member and channel go as one digest. No transaction is held while a mail
    server or webhook answers: due deliveries are leased first, results written after."""
    now = now or datetime.now(UTC)
    async with uow() as claim:
        due = await claim.claim_due(now, batch, lease)
        await claim.commit()
    for group in digest_groups(due):
        delivery, folded = group[0], group[1:]
        async with uow() as read:
            prefs = await read.preferences(delivery.member_id)
            if folded:
                await _as_digest(read, delivery, folded, prefs.language if prefs else "en")
        await _attempt(delivery, senders, prefs, public_url, max_attempts, now)
        async with uow() as write:
            await write.save_delivery(delivery)
            for other in folded:
                other.status, other.last_error = DeliveryStatus.FOLDED, delivery.delivery_id
                await write.save_delivery(other)
            await write.commit()
    return len(due)


async def _as_digest(
    uow: UnitOfWork, delivery: Delivery, folded: list[Delivery], language: str
) -> None:
    items = [d.subject for d in [delivery, *folded]]
    found = await uow.template("digest", language)
    if found is None:
        return
    text = render(*found, {"count": len(items), "items": items})
    delivery.subject, delivery.body = text.title, text.text
    delivery.html = text.html if delivery.channel is Channel.EMAIL else None


async def _attempt(
    delivery: Delivery,
    senders: Mapping[Channel, Sender],
    prefs: Preferences | None,
    public_url: str,
    max_attempts: int,
    now: datetime,
) -> None:
    sender = senders.get(delivery.channel)
    try:
        if sender is None:
            raise DeliveryError(f"no {delivery.channel} sender configured", transient=False)
        token = prefs.unsubscribe_token if prefs else ""
        await sender.send(delivery, unsubscribe_url=f"{public_url}/v1/unsubscribe/{token}")
        delivery.succeeded(now)
    except DeliveryError as exc:
        delivery.failed(exc, now, max_attempts=max_attempts)
        log.warning(
            "delivery failed",
            extra={
                "delivery_id": delivery.delivery_id,
                "status": delivery.status.value,
                "error": str(exc),
            },
        )
