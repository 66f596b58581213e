"""What the program's routes read: the rules in force, a rule's versions, the tiers."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import budgets
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.rule_specs import RuleSpec, TierSpec


async def rules_in_force(session: AsyncSession) -> list[tuple[RuleSpec, int]]:
    """The newest version of every rule (enabled or not), as (spec, version)."""
    return await ProgramRepository(session).rules_in_force()


async def budgets_spent(session: AsyncSession) -> dict[str, int]:
    """Points each budgeted rule has awarded so far."""
    rows = await session.execute(select(budgets.c.rule_id, budgets.c.spent))
    return {r.rule_id: int(r.spent) for r in rows}


async def rule_history(session: AsyncSession, rule_id: str) -> list[dict[str, Any]]:
    return await ProgramRepository(session).rule_history(rule_id)


async def tiers(session: AsyncSession) -> list[TierSpec]:
    return await ProgramRepository(session).load_tiers()


async def scheduled_and_drafts(
    session: AsyncSession,
) -> tuple[dict[str, tuple[int, datetime]], dict[str, dict[str, Any]]]:
    """Per rule: a version waiting for its time, and an unpublished draft."""
    program = ProgramRepository(session)
    return await program.scheduled(), await program.drafts()
