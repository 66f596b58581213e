"""The rules' member states, a chunk's members at a time, and their erasure."""

from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, Text, cast, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import (
    activities,
    audience_members,
    audience_moves,
    challenge_members,
    erased_members,
    history,
    member_states,
    offer_assignments,
    processed_events,
    purchases,
    stage_moves,
)
from services.rules.adapters.state_codec import member_from_json, member_json, member_to_json
from services.rules.domain.member import MemberState
from shared.bulk import locked_or_seeded, update_rows
from shared.db import any_of
from shared.erasure.keys import anonymous_key
from shared.erasure.table import erased_among, record_erasure


class MembersRepository:
    """Member states: locked and seeded as a set, written back as one statement."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name

    async def members_for_update(self, member_ids: Collection[str]) -> dict[str, MemberState]:
        """All locked in member-id order, so two replicas that share members (during a
        rebalance) queue instead of deadlocking; new members' rows seeded. An erased member
        is not made a member again: they are left out."""
        now = datetime.now(UTC)
        return await locked_or_seeded(
            self.session,
            member_states,
            list(member_ids),
            self._locked,
            lambda missing: [
                {"member_id": m, "state": _EMPTY_STATE, "version": 0, "updated_at": now}
                for m in missing
            ],
            never=self.erased,
        )

    async def _locked(self, ordered: list[str]) -> dict[str, MemberState]:
        rows = await self.session.execute(_lock_states(self._dialect), {"ids": ordered})
        return {r.member_id: member_from_json(r.member_id, r.state, r.version) for r in rows}

    async def member(self, member_id: str) -> MemberState:
        row = (
            await self.session.execute(
                select(member_states.c.state, member_states.c.version).where(
                    member_states.c.member_id == member_id
                )
            )
        ).first()
        return MemberState(member_id) if row is None else member_from_json(member_id, *row)

    async def save_members(self, members: list[MemberState]) -> None:
        """Write back states locked by :meth:`members_for_update`."""
        if not members:
            return
        now = datetime.now(UTC)
        await update_rows(
            self.session,
            member_states,
            [
                {
                    "member_id": m.member_id,
                    "state": member_json(m),
                    "birthday_mmdd": m.birthday.strftime("%m-%d") if m.birthday else None,
                    "enrolled_mmdd": m.enrolled_at.strftime("%m-%d") if m.enrolled_at else None,
                    "tier": m.tier,
                    "categories": len(m.categories_bought),
                    "version": m.version + 1,
                    "updated_at": now,
                }
                for m in members
            ],
            key="member_id",
        )
        for m in members:
            m.version += 1

    async def erased(self, member_ids: Collection[str]) -> dict[str, datetime]:
        """The erased members among ``member_ids``, with when."""
        return await erased_among(self.session, erased_members, member_ids)

    async def erase(self, member_id: str, now: datetime) -> bool:
        """Forget the member; False if they were forgotten before. Their state goes (its
        birthday, language, timezone, enrolment); their purchases stay for the program report,
        under an opaque key, with the state's row (counted as a member who was) reset to an
        empty state under the same key; the ids of their processed events go."""
        if not await record_erasure(self.session, erased_members, member_id, now):
            return False
        key = anonymous_key()
        await self.session.execute(
            update(member_states)
            .where(member_states.c.member_id == member_id)
            .values(
                member_id=key,
                state=member_to_json(MemberState(key)),
                birthday_mmdd=None,
                enrolled_mmdd=None,
                updated_at=now,
            )
        )
        # For the program report and offers' lift, under the key; the processed events so
        # that a late copy of one (a till's retry that reached Kafka after the erasure) is
        # still known as a repeat, and skipped rather than dead-lettered.
        for kept in (purchases, activities, offer_assignments, challenge_members, processed_events):
            await self.session.execute(
                update(kept).where(kept.c.member_id == member_id).values(member_id=key)
            )
        gone_too = (audience_members, audience_moves, history, stage_moves)
        for gone in gone_too:
            await self.session.execute(delete(gone).where(gone.c.member_id == member_id))
        # Another member's referral that named them, kept for replays: gone too.
        await self.session.execute(
            delete(history).where(
                history.c.event_type == "referral.completed",
                cast(history.c.event, Text).contains(f'"{member_id}"', autoescape=True),
            )
        )
        return True

    async def states(self, batch: int = 1000) -> AsyncIterator[list[MemberState]]:
        """Every member's state, a batch at a time, in member-id order (not locked)."""
        after = ""
        while True:
            rows = (
                await self.session.execute(
                    select(
                        member_states.c.member_id, member_states.c.state, member_states.c.version
                    )
                    .where(member_states.c.member_id > after)
                    .order_by(member_states.c.member_id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return
            yield [member_from_json(r.member_id, r.state, r.version) for r in rows]
            after = rows[-1].member_id


_EMPTY_STATE = member_json(MemberState(""))


@cache
def _lock_states(dialect: str) -> Select[Any]:
    """Members' states by id (``ids``), locked in member-id order."""
    return (
        select(member_states.c.member_id, member_states.c.state, member_states.c.version)
        .where(any_of(member_states.c.member_id, "ids", dialect))
        .order_by(member_states.c.member_id)
        .with_for_update()
    )
