"""What the rules' HTTP routes need, wired once in bootstrap and reached through the app."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork
from services.rules.settings import RulesSettings
from shared.app import ServiceParts


@dataclass(frozen=True)
class RulesContext:
    parts: ServiceParts  # the database, the producer, the Kafka settings
    settings: RulesSettings
    uow: Callable[[], UnitOfWork]
    book: RuleBook  # the rules in force; invalidate() after saving rules or tiers

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.parts.sessions


async def _context(request: Request) -> RulesContext:
    context: RulesContext = request.app.state.context
    return context


RulesDep = Annotated[RulesContext, Depends(_context)]
