"""What members (and the program's admins) ask of the notification service over HTTP: their
preferences, the one-click unsubscribe, a message read, a template edited. One transaction
each, through the unit of work."""

from dataclasses import replace
from datetime import UTC, datetime

from services.notifications.domain.notices import Channel
from services.notifications.domain.preferences import Preferences
from services.notifications.service_layer.unit_of_work import UnitOfWork
from shared.erasure.model import MemberWasErased


class UnknownToken(LookupError):
    """No member has this unsubscribe token."""


async def choose_preferences(
    chosen: Preferences, *, uow: UnitOfWork, keep_consents: bool = False
) -> Preferences:
    """The member's own choice, kept with their unsubscribe token and what their profile
    stated; it is newer than any profile event stated before now. ``keep_consents``: the
    choice says nothing of consents: the stored ones stay (none stored: none given)."""
    async with uow:
        erased = await uow.members.erased([chosen.member_id])
        if erased:
            raise MemberWasErased(chosen.member_id, erased[chosen.member_id])
        # Locked: an unsubscribe from an email at the same moment waits, then keeps this.
        current = (await uow.members.preferences_for_update([chosen.member_id])).get(
            chosen.member_id
        )
        prefs = replace(
            chosen,
            unsubscribe_token=current.unsubscribe_token if current else "",
            stated_at=current.stated_at if current else None,
            chosen_at=datetime.now(UTC),
        )
        if keep_consents:
            prefs.email_consent = current.email_consent if current else False
            prefs.push_consent = current.push_consent if current else False
        await uow.members.save_preferences([prefs])
        await uow.commit()
    return prefs


async def unsubscribe_from_email(token: str, *, uow: UnitOfWork) -> str:
    """No more email for any category, for the member with this token; what else the member
    chose meanwhile is kept (the row is locked while it changes)."""
    async with uow:
        prefs = await uow.members.preferences_by_token(token)
        if prefs is None:
            raise UnknownToken(token)
        prefs.channels = {c: ch - {Channel.EMAIL} for c, ch in prefs.channels.items()}
        await uow.members.save_preferences([prefs])
        await uow.commit()
    return prefs.language  # the member's, for the page that says it is done


async def mark_read(member_id: str, message_id: str, *, uow: UnitOfWork) -> bool:
    """Whether an unread message of the member's was marked read now."""
    async with uow:
        changed = await uow.inbox.mark_read(member_id, message_id)
        await uow.commit()
    return changed


async def save_template(
    kind: str, language: str, title: str, body: str, *, uow: UnitOfWork
) -> None:
    async with uow:
        await uow.templates.save_template(kind, language, title, body)
        await uow.commit()


async def sign_in_once(token_id: str, expires_at: datetime, *, uow: UnitOfWork) -> bool:
    """A wallet sign-in link works once: False when it was used before."""
    async with uow:
        fresh = await uow.members.use_sign_in(token_id, expires_at)
        await uow.commit()
    return fresh
