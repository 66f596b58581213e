"""Use cases of the rules service."""

from services.rules.domain.commands import EvaluateEvent
from services.rules.domain.model import Award, PointsPerCurrencyUnit, evaluate
from services.rules.service_layer.unit_of_work import UnitOfWork

DEFAULT_RULES = (PointsPerCurrencyUnit(),)


async def evaluate_event(
    command: EvaluateEvent,
    *,
    uow: UnitOfWork,
    rules: tuple[PointsPerCurrencyUnit, ...] = DEFAULT_RULES,
) -> list[Award]:
    """Award what the event earns, once per event id however often it is delivered."""
    async with uow:
        if await uow.was_processed(command.event.event_id):
            return []
        awards = evaluate(command.event, rules)
        await uow.record(command.event, awards)
        await uow.commit()
    return awards
