"""Use cases of the notification service: decide what reaches a member where, and deliver."""

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from services.notifications.adapters.senders import Sender
from services.notifications.adapters.templates import InvalidTemplate, Rendered, render
from services.notifications.domain.commands import NotifyMember
from services.notifications.domain.deliveries import (
    Delivery,
    DeliveryError,
    DeliveryStatus,
    digest_groups,
)
from services.notifications.domain.model import InboxMessage
from services.notifications.domain.notices import Channel, Notice
from services.notifications.domain.preferences import Preferences, Profile, message_language
from services.notifications.service_layer.template_book import TemplateBook, Templates
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.contracts.envelope import derived_id
from shared.faults import fault_point

log = logging.getLogger(__name__)


async def take_profiles(profiles: Sequence[Profile], *, uow: UnitOfWork) -> int:
    """What members told us about themselves (language, timezone, email, push token,
    consents), in order; a statement older than the member's newest is passed over. A member
    we hear of first this way consented to nothing the profile does not say. How many
    applied."""
    applied = 0
    async with uow:
        erased = await uow.members.erased({p.member_id for p in profiles})
        if erased:  # news of them older than their erasure: nothing is kept
            log.info("dropped %d profile(s) of erased members", len(erased))
            profiles = [p for p in profiles if p.member_id not in erased]
        known = await uow.members.preferences_for_update({p.member_id for p in profiles})
        changed: dict[str, Preferences] = {}
        for profile in profiles:
            member = known.get(profile.member_id)
            if member is None:
                member = known[profile.member_id] = Preferences(
                    profile.member_id, email_consent=False, push_consent=False
                )
            if member.state(profile):
                changed[profile.member_id] = member
                applied += 1
        if changed:
            await uow.members.save_preferences(list(changed.values()))
            await uow.commit()
    return applied


async def notify_member(
    command: NotifyMember,
    *,
    uow: UnitOfWork,
    now: datetime | None = None,
    digest_window: timedelta = timedelta(0),
) -> list[Channel]:
    """One notice (see :func:`notify_members`); the channels it newly went to."""
    [sent_to] = await notify_members([command], uow=uow, now=now, digest_window=digest_window)
    return sent_to


async def notify_members(
    commands: Sequence[NotifyMember],
    *,
    uow: UnitOfWork,
    templates: TemplateBook | None = None,
    now: datetime | None = None,
    digest_window: timedelta = timedelta(0),
) -> list[list[Channel]]:
    """Write inbox messages and queue email and push for a chunk of notices, each once per
    cause: a notice that arrives twice is delivered once. Outside quiet hours at once, else
    when they end (receipts do not wait). Per notice, the channels it newly went to.

    One query for the members' preferences, templates from the cache, one insert each for
    messages and deliveries (a key already there is skipped by the database)."""
    now = now or datetime.now(UTC)
    async with uow:
        texts = await (templates.current() if templates else uow.templates.all_templates())
        members = {c.notice.member_id for c in commands}
        erased = await uow.members.erased(members)
        if erased:  # news of them older than their erasure: they are told nothing
            log.info("dropped notices for %d erased member(s)", len(erased))
        prefs = await uow.members.preferences_of(members - erased.keys())
        messages: dict[str, InboxMessage] = {}
        deliveries: dict[str, Delivery] = {}
        planned: list[list[tuple[Channel, str]]] = []
        for command in commands:
            notice = command.notice
            if notice.member_id in erased:
                planned.append([])
                continue
            member = prefs.get(notice.member_id) or Preferences(notice.member_id)
            text = _text(texts, notice, member.language)
            keys: list[tuple[Channel, str]] = []
            planned.append(keys)
            if text is None:
                continue
            quiet_until = None if notice.transactional else member.quiet_until(now)
            send_at = max(quiet_until or now, now + digest_window if notice.digestible else now)
            for channel in member.channels_for(notice):
                key = derived_id(notice.cause_id, notice.kind, channel.value)
                keys.append((channel, key))
                if channel is Channel.INBOX:
                    messages[key] = InboxMessage(
                        message_id=key,
                        member_id=notice.member_id,
                        kind=notice.kind,
                        title=text.title[:200],
                        body=text.text[:2000],
                        source_event_id=notice.cause_id,
                        created_at=notice.occurred_at,
                    )
                else:
                    address = member.email if channel is Channel.EMAIL else member.push_token
                    assert address is not None
                    deliveries[key] = Delivery(
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
        written = await uow.inbox.add_all(list(messages.values()), list(deliveries.values()))
        await uow.commit()
    sent: list[list[Channel]] = []
    for keys in planned:
        sent.append([channel for channel, key in keys if key in written])
        written -= {key for _, key in keys}  # a second notice of the same cause: not news
    return sent


def _text(texts: Templates, notice: Notice, preferred: str) -> Rendered | None:
    """The notice in the member's language; one that carries an explanation in another (the
    rules had no text in the member's language) is written in that one, frame and all."""
    language = message_language(str(notice.values.get("language") or preferred))
    found = texts.get((notice.kind, language))
    if found is None:  # a text an operator left untranslated: English, reasons and names too
        language, found = "en", texts.get((notice.kind, "en"))
    if found is None:
        log.warning("no template", extra={"kind": notice.kind})
        return None
    values = {**notice.values, "language": language}
    for name, per_language in (("explanation", "explanations"), ("reward_name", "reward_names")):
        if text := (notice.values.get(per_language) or {}).get(language):
            values[name] = text  # the ledger's text or the reward's name in that language
    try:
        return render(*found, values)
    except InvalidTemplate:
        log.exception("template failed", extra={"kind": notice.kind})
        return None


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
    server or webhook answers: due deliveries are leased first, results written after. Each
    message's lease is renewed just before it is sent (a send takes far less than a lease):
    one that another replica took over meanwhile, because this one was slow, is left to it."""
    now = now or datetime.now(UTC)
    async with uow() as claim:
        due = await claim.inbox.claim_due(now, batch, lease)
        await claim.commit()
    if due:
        fault_point("after-delivery-claim")
    attempted = 0
    for group in digest_groups(due):
        delivery, folded = group[0], group[1:]
        async with uow() as renew:
            if not await renew.inbox.renew_lease(group, datetime.now(UTC) + lease):
                continue  # no longer ours: another replica has it now
            await renew.commit()
        attempted += len(group)
        async with uow() as read:
            prefs = await read.members.preferences(delivery.member_id)
            if folded:
                await _as_digest(read, delivery, folded, prefs.language if prefs else "en")
        await _attempt(delivery, senders, prefs, public_url, max_attempts, now)
        fault_point("after-send-before-record")
        async with uow() as write:
            await write.inbox.save_delivery(delivery)
            for other in folded:
                other.status, other.last_error = DeliveryStatus.FOLDED, delivery.delivery_id
                await write.inbox.save_delivery(other)
            await write.commit()
    return attempted


async def _as_digest(
    uow: UnitOfWork, delivery: Delivery, folded: list[Delivery], language: str
) -> None:
    items = [d.subject for d in [delivery, *folded]]
    found = await uow.templates.template("digest", language)
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
