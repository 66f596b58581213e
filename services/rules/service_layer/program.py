"""Changes to the program, each one transaction: a rule's next version, the tiers replaced, a
pack imported. The rule book in force is told to reload after each (``RuleBook.invalidate``)."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.rule_specs import RulePack, RuleSpec, TierSpec
from services.rules.service_layer.pack import import_pack

Sessions = async_sessionmaker[AsyncSession]


async def save_rule(sessions: Sessions, spec: RuleSpec, *, by: str) -> int:
    """Store ``spec`` as the rule's next version; the version number."""
    async with sessions() as session, session.begin():
        return await ProgramRepository(session).save_rule(spec, by=by)


async def replace_tiers(sessions: Sessions, tiers: list[TierSpec], *, by: str) -> list[TierSpec]:
    """The program's tiers are these now; the tiers as saved."""
    async with sessions() as session, session.begin():
        program = ProgramRepository(session)
        await program.save_tiers(tiers, by=by)
        return await program.load_tiers()


async def import_whole_pack(sessions: Sessions, pack: RulePack, *, by: str) -> list[str]:
    """Each rule whose spec changed gets a new version, and the pack's tiers; the ids saved."""
    async with sessions() as session, session.begin():
        return await import_pack(session, pack, by=by)
