"""A rule's draft, and publishing it: at once or scheduled, never over a version the draft
did not start from. Each step is one transaction; publishing writes the audit row with it."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.rule_specs import RuleSpec
from shared.contracts.names import STORED

Sessions = async_sessionmaker[AsyncSession]


class NoDraft(LookupError):
    pass


class DraftOutdated(Exception):
    """Another version was published after the draft was saved: its author must look again."""


async def _live(program: ProgramRepository, rule_id: str) -> tuple[dict[str, Any] | None, int]:
    """The rule's version in force, as the API shows it (0: none yet)."""
    found = await program.rule_in_force(rule_id)
    if found is None:
        return None, 0
    stored, version = found
    return RuleSpec.model_validate(stored, context=STORED).model_dump(mode="json"), version


async def save_draft(sessions: Sessions, spec: RuleSpec, *, by: str) -> dict[str, Any]:
    """Keep ``spec`` as the rule's draft, started from the version in force now."""
    async with sessions() as session, session.begin():
        program = ProgramRepository(session)
        _, version = await _live(program, spec.id)
        await program.save_draft(spec, version or None, by=by)
    found = await draft_of(sessions, spec.id)
    assert found is not None
    return found


async def draft_of(sessions: Sessions, rule_id: str) -> dict[str, Any] | None:
    """The draft with the version in force beside it (to show what it changes)."""
    async with sessions() as session:
        program = ProgramRepository(session)
        draft = await program.draft(rule_id)
        if draft is None:
            return None
        live, version = await _live(program, rule_id)
        scheduled = (await program.scheduled()).get(rule_id)
    return {
        **draft,
        "rule_id": rule_id,
        "live": live,
        "live_version": version or None,
        "scheduled_version": scheduled[0] if scheduled else None,
        "scheduled_at": scheduled[1].isoformat() if scheduled else None,
    }


async def all_drafts(sessions: Sessions) -> dict[str, dict[str, Any]]:
    async with sessions() as session:
        return await ProgramRepository(session).drafts()


async def discard(sessions: Sessions, rule_id: str) -> bool:
    async with sessions() as session, session.begin():
        return await ProgramRepository(session).drop_draft(rule_id)


async def publish(
    sessions: Sessions, rule_id: str, *, by: str, effective_at: datetime | None
) -> tuple[int, bool]:
    """The draft as the rule's next version, in effect at ``effective_at`` (none: now); the
    draft is gone after. (version, whether anything changed)."""
    async with sessions() as session, session.begin():
        program = ProgramRepository(session)
        draft = await program.draft(rule_id)
        if draft is None:
            raise NoDraft(f"rule {rule_id!r} has no draft to publish")
        _, live_version = await _live(program, rule_id)
        if (draft["base_version"] or 0) != live_version:
            raise DraftOutdated(
                f"version {live_version} of rule {rule_id!r} was published after this draft "
                f"was started from version {draft['base_version'] or 'none'}: save the draft "
                "again once you have looked at what changed, then publish"
            )
        spec = RuleSpec.model_validate(draft["spec"], context=STORED)
        version = await program.save_rule(spec, by=by, effective_at=effective_at)
        await program.drop_draft(rule_id)
        return version, version != live_version
