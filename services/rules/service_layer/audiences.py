"""Keeping audiences current as time passes, and previewing one before it is saved.

Events move members as they arrive (handlers); what time alone changes (days since the last
purchase, a year's window, RFM ranks) is moved by a pass over every member: once a day, and
again whenever an audience or offer changed. The pass first ranks active members into RFM
quintiles, then evaluates one ``audiences.refreshed`` event per member, like any event and
under an id of member, day and program version, so the daily pass on two replicas moves each
member once (moving a member twice would change nothing anyway).
"""

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.audiences_repository import AudiencesRepository
from services.rules.adapters.cel_engine import CelPredicate
from services.rules.adapters.members_repository import MembersRepository
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import LoyaltyEvent
from services.rules.domain.rfm import cutpoints
from services.rules.service_layer.handlers import evaluate_events
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import REFRESH, UnitOfWork

log = logging.getLogger(__name__)
Sessions = async_sessionmaker[AsyncSession]
_CHUNK = 500  # members per transaction


def program_version(book: RuleBook) -> str:
    """A short digest of the audiences, offers and ladder stages in force (a new ladder
    places every member again, as a new audience fills)."""
    parts = sorted(f"a:{a.audience_id}:{a.version}" for a, _ in book.audiences)
    parts += sorted(f"o:{o.offer_id}:{o.version}:{o.enabled}" for o in book.offers.values())
    parts += [f"s:{s.stage_id}:{s.condition}" for s, _ in book.stages]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


async def rank_rfm(sessions: Sessions, now: datetime) -> int:
    """Find the RFM quintile boundaries among members active over the last year; how many."""
    active: list[tuple[int, int, Decimal]] = []
    async with sessions() as session:
        async for batch in MembersRepository(session).states():
            for m in batch:
                if m.last_purchase_at is None:
                    continue
                recency = (now - m.last_purchase_at).days
                count, spent = m.windows(now)[365]
                if 0 <= recency <= 365 and count:
                    active.append((recency, count, spent))
    async with sessions() as session, session.begin():
        await ProgramRepository(session).save_cutpoints(cutpoints(active), now)
    return len(active)


async def refresh_audiences(
    sessions: Sessions,
    uow_factory: Callable[[], UnitOfWork],
    book: RuleBook,
    *,
    now: datetime | None = None,
    force: bool = False,
) -> int:
    """The daily pass (a no-op if it ran today for this program version, unless ``force``);
    how many members it moved in or out of an audience, up or down the ladder, or gave an
    offer."""
    now = now or datetime.now(UTC)
    book = await book.refreshed()
    if not book.places:  # (no audiences and no ladder: nothing moves with time)
        return 0
    version = f"{now.date().isoformat()}:{program_version(book)}"
    async with sessions() as session:
        done = await ProgramRepository(session).refreshed()
    if done == version and not force:
        return 0
    # Moving a member is the same however often it is done: a forced pass (or a second
    # replica's) runs under ids of its own moment.
    run = f"{version}:{now.isoformat()}" if force else version
    ranked = await rank_rfm(sessions, now)
    book.invalidate()
    book = await book.refreshed()
    moved = 0
    async with sessions() as session:
        batches = [
            [m.member_id for m in batch]
            async for batch in MembersRepository(session).states(_CHUNK)
        ]
    for members in batches:
        commands = [
            EvaluateEvent(
                LoyaltyEvent(
                    event_id=f"{REFRESH}:{member_id}:{run}",
                    event_type=REFRESH,
                    member_id=member_id,
                    occurred_at=now,
                )
            )
            for member_id in members
        ]
        result = await evaluate_events(commands, uow=uow_factory(), book=book)
        moved += sum(
            1
            for d in result.decided
            if d.placement.moves or d.placement.grants or d.placement.stage is not None
        )
    async with sessions() as session, session.begin():
        await ProgramRepository(session).mark_refreshed(version, now)
    log.info("audiences refreshed", extra={"members_moved": moved, "ranked": ranked})
    return moved


async def forget_history(sessions: Sessions, *, keep: timedelta, now: datetime) -> int:
    async with sessions() as session, session.begin():
        return await AudiencesRepository(session).forget_history(now - keep)


async def preview(
    sessions: Sessions, condition: CelPredicate, book: RuleBook, *, now: datetime, sample: int
) -> dict[str, Any]:
    """How many members meet ``condition`` now, of how many, and a few of them (the editor's
    live count, before the audience is saved)."""
    count = total = 0
    found: list[str] = []
    async with sessions() as session:
        async for batch in MembersRepository(session).states():
            for member in batch:
                total += 1
                if condition({"member": member.facts(now, book.cuts)}):
                    count += 1
                    if len(found) < sample:
                        found.append(member.member_id)
    return {"count": count, "members": total, "sample": found}
