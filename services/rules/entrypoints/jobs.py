"""The rules' scheduled work: birthday and membership-anniversary events, once a year each.

Each is evaluated like any event, under an id derived from member and year, so running the job
twice, or on several replicas, awards once. At the anniversary the member's tier is reviewed
(the only moment it may go down).
"""

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.celebrations import members_celebrating
from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import LoyaltyEvent
from services.rules.service_layer.audiences import forget_history, refresh_audiences
from services.rules.service_layer.handlers import evaluate_events
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork
from shared.contracts.envelope import EVENT_TIME_BEHIND
from shared.periodic import Periodic

log = logging.getLogger(__name__)
BIRTHDAY = "member.birthday"
ANNIVERSARY = "member.anniversary"
_CHUNK = 500  # members per transaction


async def celebrate(
    sessions: async_sessionmaker[AsyncSession],
    uow_factory: Callable[[], UnitOfWork],
    book: RuleBook,
    *,
    now: datetime | None = None,
) -> int:
    """Evaluate today's birthdays and anniversaries; how many were new."""
    now = now or datetime.now(UTC)
    async with sessions() as session:
        birthdays, anniversaries = await members_celebrating(session, now)
    commands = [
        EvaluateEvent(
            LoyaltyEvent(
                event_id=f"{event_type}:{member_id}:{year}",
                event_type=event_type,
                member_id=member_id,
                occurred_at=now,
            )
        )
        for event_type, members in ((BIRTHDAY, birthdays), (ANNIVERSARY, anniversaries))
        for member_id, year in members
    ]
    done = 0
    for start in range(0, len(commands), _CHUNK):
        chunk = commands[start : start + _CHUNK]
        done += len((await evaluate_events(chunk, uow=uow_factory(), book=book)).decided)
    return done


async def forget_processed(
    uow_factory: Callable[[], UnitOfWork], *, keep: timedelta, now: datetime | None = None
) -> int:
    """Forget the events processed longer ago than ``keep``: a repeat of one of them would be
    older than the window of plausible event times, and refused before it got here."""
    now = now or datetime.now(UTC)
    async with uow_factory() as uow:
        forgotten = await uow.events.forget_processed(now - keep)
        await uow.commit()
    return forgotten


def rules_jobs(
    sessions: async_sessionmaker[AsyncSession],
    uow_factory: Callable[[], UnitOfWork],
    book: RuleBook,
    *,
    interval: float,
    on_done: Callable[[], None],
    keep_processed: timedelta = EVENT_TIME_BEHIND + timedelta(days=1),
    keep_history: timedelta = timedelta(days=90),
) -> Periodic:
    """Birthdays and anniversaries, the audiences' daily pass, then forgetting old processed
    ids and history."""

    async def step() -> int:
        if done := await celebrate(sessions, uow_factory, book):
            log.info("birthdays and anniversaries evaluated", extra={"members": done})
            on_done()
        if moved := await refresh_audiences(sessions, uow_factory, book):
            on_done()
        if forgotten := await forget_processed(uow_factory, keep=keep_processed):
            log.info("old processed events forgotten", extra={"events": forgotten})
        now = datetime.now(UTC)
        if old := await forget_history(sessions, keep=keep_history, now=now):
            log.info("old history forgotten", extra={"events": old})
        return done + moved + forgotten + old

    return Periodic("rules jobs", step, interval=interval)
