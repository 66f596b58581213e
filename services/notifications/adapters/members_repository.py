"""What the notification service keeps of members: their preferences (language, addresses,
channels, quiet hours, consents), and whom it has forgotten."""

import secrets
from collections.abc import Collection
from datetime import UTC, datetime, time
from functools import cache
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.adapters.orm import (
    deliveries,
    erased_members,
    inbox,
    preferences,
    used_sign_ins,
)
from services.notifications.domain.notices import Category, Channel
from services.notifications.domain.preferences import Preferences
from shared.bulk import insert_rows
from shared.contracts.contact import normalized_email
from shared.db import any_of
from shared.erasure.table import erased_among, record_erasure


def _prefs_json(p: Preferences) -> dict[str, Any]:
    return {
        "language": p.language,
        "timezone": p.timezone,
        "email": p.email,
        "push_token": p.push_token,
        "phone": p.phone,
        "channels": {c.value: sorted(ch.value for ch in chans) for c, chans in p.channels.items()},
        "quiet_start": p.quiet_start.isoformat() if p.quiet_start else None,
        "quiet_end": p.quiet_end.isoformat() if p.quiet_end else None,
        "email_consent": p.email_consent,
        "push_consent": p.push_consent,
        "stated_at": p.stated_at.isoformat() if p.stated_at else None,
        "chosen_at": p.chosen_at.isoformat() if p.chosen_at else None,
    }


def _prefs(member_id: str, data: dict[str, Any], token: str) -> Preferences:
    return Preferences(
        member_id=member_id,
        language=data["language"],
        timezone=data["timezone"],
        email=data.get("email"),
        push_token=data.get("push_token"),
        phone=data.get("phone"),
        channels={
            Category(c): frozenset(Channel(x) for x in chans)
            for c, chans in data["channels"].items()
        },
        quiet_start=time.fromisoformat(data["quiet_start"]) if data.get("quiet_start") else None,
        quiet_end=time.fromisoformat(data["quiet_end"]) if data.get("quiet_end") else None,
        unsubscribe_token=token,
        email_consent=data.get("email_consent", True),  # rows from before consents: the app's
        push_consent=data.get("push_consent", True),
        stated_at=_moment(data.get("stated_at")),
        chosen_at=_moment(data.get("chosen_at")),
    )


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class MembersRepository:
    """Members' preferences, any number at a time, and their erasure."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        """The erased members among ``member_ids``, with when."""
        return await erased_among(self.session, erased_members, member_ids)

    async def erase(self, member_id: str, now: datetime) -> bool:
        """Delete all the service holds about the member (preferences with their addresses,
        inbox messages, delivery logs) and remember them as erased; False for a repeat."""
        if not await record_erasure(self.session, erased_members, member_id, now):
            return False
        for table in (preferences, inbox, deliveries):
            await self.session.execute(delete(table).where(table.c.member_id == member_id))
        return True

    async def preferences(self, member_id: str) -> Preferences | None:
        return await self._one(preferences.c.member_id == member_id, lock=False)

    async def preferences_by_token(self, token: str, *, lock: bool = True) -> Preferences | None:
        """The preferences with this unsubscribe token; with ``lock``, held until commit, so
        that a change made meanwhile (the member's app) waits and is not written over."""
        return await self._one(preferences.c.unsubscribe_token == token, lock=lock)

    async def _one(self, where: Any, *, lock: bool) -> Preferences | None:
        query = select(preferences).where(where)
        row = (await self.session.execute(query.with_for_update() if lock else query)).first()
        return None if row is None else _prefs(row.member_id, row.prefs, row.unsubscribe_token)

    async def preferences_for_update(self, member_ids: Collection[str]) -> dict[str, Preferences]:
        """The members' preferences, locked until commit (in member-id order)."""
        return await self.preferences_of(member_ids, for_update=True)

    async def preferences_of(
        self, member_ids: Collection[str], *, for_update: bool = False
    ) -> dict[str, Preferences]:
        if not member_ids:
            return {}
        query = _preferences(self.session.get_bind().dialect.name, for_update)
        rows = await self.session.execute(query, {"ids": list(member_ids)})
        return {r.member_id: _prefs(r.member_id, r.prefs, r.unsubscribe_token) for r in rows}

    async def save_preferences(self, found: Collection[Preferences]) -> None:
        now = datetime.now(UTC)
        for p in found:
            p.unsubscribe_token = p.unsubscribe_token or secrets.token_urlsafe(24)
        await insert_rows(
            self.session,
            preferences,
            [
                {
                    "member_id": p.member_id,
                    "prefs": _prefs_json(p),
                    "unsubscribe_token": p.unsubscribe_token,
                    "updated_at": now,
                    "email_lookup": normalized_email(p.email) if p.email else None,
                    "phone_lookup": p.phone,
                }
                for p in sorted(found, key=lambda p: p.member_id)
            ],
            on_conflict="update",
            key=["member_id"],
        )

    async def use_sign_in(self, token_id: str, expires_at: datetime) -> bool:
        """Record a sign-in link as used (kept until it expires); False if it was before."""
        fresh = await insert_rows(
            self.session,
            used_sign_ins,
            [{"token_id": token_id, "expires_at": expires_at}],
            on_conflict="nothing",
            key=["token_id"],
            returning="token_id",
        )
        return bool(fresh)

    async def find(self, *, email: str | None = None, phone: str | None = None) -> list[str]:
        """The members with this email address (any case) or phone number (E.164)."""
        column, value = (
            (preferences.c.email_lookup, normalized_email(email))
            if email is not None
            else (preferences.c.phone_lookup, phone)
        )
        found = await self.session.scalars(
            select(preferences.c.member_id)
            .where(column == value)
            .order_by(preferences.c.member_id)
            .limit(20)
        )
        return list(found)


@cache
def _preferences(dialect: str, for_update: bool) -> Select[Any]:
    """Members' preferences by id (``ids``); ``for_update``: locked in member-id order."""
    query = select(
        preferences.c.member_id, preferences.c.prefs, preferences.c.unsubscribe_token
    ).where(any_of(preferences.c.member_id, "ids", dialect))
    if for_update:
        query = query.order_by(preferences.c.member_id).with_for_update()
    return query
