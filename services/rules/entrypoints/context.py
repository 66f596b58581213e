"""What the rules' HTTP routes need, wired once in bootstrap and reached through the app."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.unit_of_work import UnitOfWork
from services.rules.settings import RulesSettings
from shared.app import ServiceContext, context_of
from shared.erasure.cache import ErasedCache


@dataclass(frozen=True)
class RulesContext(ServiceContext):
    settings: RulesSettings
    uow: Callable[[], UnitOfWork]
    book: RuleBook  # the rules in force; invalidate() after saving rules or tiers
    erased: ErasedCache  # whom the ingest refuses


RulesDep = Annotated[RulesContext, Depends(context_of(RulesContext))]
