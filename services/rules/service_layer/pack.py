"""Rule packs: a program's tiers and rules as one YAML document, imported and exported whole."""

from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.cel_engine import compile_rule
from services.rules.adapters.orm import rules
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.rule_specs import RulePack

DEFAULT_PACK = Path(__file__).resolve().parent.parent / "default_pack.yaml"


class InvalidPack(ValueError):
    pass


def parse_pack(text: str) -> RulePack:
    """Validate a YAML pack, compiling every expression; InvalidPack says what is wrong."""
    try:
        pack = RulePack.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise InvalidPack(str(exc)) from exc
    for spec in pack.rules:
        compile_rule(spec.to_rule(1))  # raises ExpressionError with the position
    return pack


async def import_pack(session: AsyncSession, pack: RulePack, *, by: str) -> list[str]:
    """Save each rule whose spec changed as a new version; the ids saved."""
    in_force = {spec.id: spec for spec, _ in await ProgramRepository(session).rules_in_force()}
    saved = []
    for spec in pack.rules:
        if in_force.get(spec.id) != spec:
            await ProgramRepository(session).save_rule(spec, by=by)
            saved.append(spec.id)
    await ProgramRepository(session).save_tiers(pack.tiers, by=by)
    return saved


async def export_pack(session: AsyncSession) -> str:
    pack = RulePack(
        tiers=await ProgramRepository(session).load_tiers(),
        rules=[spec for spec, _ in await ProgramRepository(session).rules_in_force()],
    )
    return yaml.safe_dump(
        pack.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True
    )


async def load_default_pack_if_empty(sessions: async_sessionmaker[AsyncSession]) -> None:
    try:
        async with sessions() as session, session.begin():
            if await session.scalar(select(func.count()).select_from(rules)):
                return
            await import_pack(session, parse_pack(DEFAULT_PACK.read_text()), by="default pack")
    except IntegrityError:
        pass  # another replica starting at the same moment loaded it first
