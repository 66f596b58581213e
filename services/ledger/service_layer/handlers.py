"""Use cases of the ledger."""

from datetime import UTC, datetime

from services.ledger.domain.commands import RecordAward
from services.ledger.domain.model import Entry
from services.ledger.service_layer.unit_of_work import UnitOfWork


async def record_award(
    command: RecordAward, *, uow: UnitOfWork, now: datetime | None = None
) -> Entry | None:
    """Append the award's entry once, however often the award is delivered."""
    now = now or datetime.now(UTC)
    async with uow:
        if await uow.entry_exists(command.award_id):
            return None
        balance = await uow.balance_for_update(command.member_id)
        entry = balance.earn(
            entry_id=command.award_id,
            points=command.points,
            pending=command.pending_until is not None and command.pending_until > now,
            rule_id=command.rule_id,
            rule_version=command.rule_version,
            explanation=command.explanation,
            source_event_id=command.source_event_id,
            now=now,
        )
        await uow.append(entry, balance)
        await uow.commit()
    return entry
