"""Challenges and the ladder as a program manager changes and reads them, and what a member
sees of their own: challenges with progress, badges, their stage and why."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.cel_engine import compile_challenge
from services.rules.adapters.challenge_specs import ChallengeSpec, LadderSpec
from services.rules.adapters.members_repository import MembersRepository
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.adapters.progressions_repository import ProgressionsRepository
from services.rules.domain.challenges import Challenge, Goal, Progress, previous_week, week_of
from services.rules.domain.member import MemberState
from services.rules.service_layer.rulebook import RuleBook
from services.rules.service_layer.stages import compile_ladder, default_ladder
from services.rules.service_layer.views import cost

Sessions = async_sessionmaker[AsyncSession]


class NotFound(LookupError):
    pass


async def save_challenge(sessions: Sessions, spec: ChallengeSpec, *, by: str) -> int:
    """Store the challenge as its next version (its condition compiled first:
    ExpressionError); its audience must exist (NotFound)."""
    compile_challenge(spec.to_challenge(1))
    async with sessions() as session, session.begin():
        program = ProgramRepository(session)
        if spec.audience is not None:
            known = {a.id for a, _ in await program.audiences_in_force()}
            if spec.audience not in known:
                raise NotFound(f"no audience {spec.audience!r}; create it first")
        return await program.save_versioned(spec, by=by)


async def challenges_with_counts(sessions: Sessions, point_value: Decimal) -> list[dict[str, Any]]:
    """Every challenge with its members' counts and what its completions cost (the points
    they gave at the program's point value)."""
    async with sessions() as session:
        found = await ProgramRepository(session).challenges_in_force()
        counts = await ProgressionsRepository(session).challenge_counts()
    empty = {"joined": 0, "on_their_way": 0, "completed": 0, "points": 0}
    return [
        {
            "version": v,
            "spec": s.model_dump(mode="json"),
            "members": counts.get(s.id, empty),
            "cost": cost(counts.get(s.id, empty)["points"], point_value),
        }
        for s, v in found
    ]


async def save_ladder(sessions: Sessions, spec: LadderSpec, *, by: str) -> int:
    compile_ladder(spec)  # ExpressionError names the stage
    async with sessions() as session, session.begin():
        return await ProgramRepository(session).save_versioned(spec, by=by)


async def ladder(sessions: Sessions) -> tuple[LadderSpec, int]:
    """The ladder in force: the program's own, or the shipped default (version 0)."""
    async with sessions() as session:
        saved = await ProgramRepository(session).ladder()
    return saved if saved is not None else (default_ladder(), 0)


async def stage_counts(sessions: Sessions, moment: datetime) -> dict[str, int]:
    """Members per stage at ``moment`` (one read of the moves)."""
    async with sessions() as session:
        return dict(Counter((await ProgressionsRepository(session).stages_at(moment)).values()))


async def movement(sessions: Sessions, start: datetime, end: datetime) -> dict[str, Any]:
    """Members per stage at ``start`` and at ``end``, and how many went from each stage to
    each other between them ("" : not yet placed at ``start``)."""
    async with sessions() as session:
        repository = ProgressionsRepository(session)
        before = await repository.stages_at(start)
        after = await repository.stages_at(end)
    flows = Counter((before.get(member, ""), stage) for member, stage in after.items())
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "at_start": dict(Counter(before.values())),
        "at_end": dict(Counter(after.values())),
        "flows": [
            {"from": a, "to": b, "members": n}
            for (a, b), n in sorted(flows.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


async def member_stage(sessions: Sessions, book: RuleBook, member_id: str) -> dict[str, Any]:
    """The member's stage, since when, why (the stage's words and the facts it reads) and
    their moves."""
    book = await book.refreshed()
    async with sessions() as session:
        member = await MembersRepository(session).member(member_id)
        moves = await ProgressionsRepository(session).member_moves(member_id)
    stage = next((s for s, _ in book.stages if s.stage_id == member.stage), None)
    facts = member.facts(datetime.now(UTC), book.cuts)
    read = (
        *("nps_group", "complaints_open", "purchases_90d", "days_since_last_purchase"),
        *("days_since_last_review", "days_since_last_referral", "referrals"),
    )
    return {
        "member_id": member_id,
        "stage": member.stage,
        "name": dict(stage.name) if stage else {},
        "why": dict(stage.description) if stage else {},
        "condition": stage.condition if stage else "",
        "since": member.stage_since or None,
        "facts": {name: facts[name] for name in read},
        "moves": moves,
    }


async def member_challenges(
    sessions: Sessions, book: RuleBook, member_id: str, now: datetime
) -> dict[str, Any]:
    """The member's challenges in their language: the live ones they may take (an audience's
    only if they are in it) and those they completed, with progress; and their badges."""
    book = await book.refreshed()
    async with sessions() as session:
        member = await MembersRepository(session).member(member_id)
    language = member.language[:2]
    shown = []
    for challenge in book.all_challenges.values():
        held = member.challenges.get(challenge.challenge_id)
        done = held is not None and held.completed_at is not None
        open_to = challenge.audience is None or challenge.audience in member.audiences
        if not done and not (challenge.is_live(now) and open_to):
            continue
        shown.append(_challenge_view(challenge, held, member, language, now))
    badges = []
    for badge_id, earned in sorted(member.badges.items(), key=lambda kv: kv[1]):
        badge = next(
            (
                c.badge
                for c in book.all_challenges.values()
                if c.badge and c.badge.badge_id == badge_id
            ),
            None,
        )
        if badge is not None:
            name = badge.name.get(language) or badge.name.get("en") or badge_id
            badges.append({"id": badge_id, "name": name, "icon": badge.icon, "earned_at": earned})
    return {"member_id": member_id, "language": language, "challenges": shown, "badges": badges}


def _challenge_view(
    challenge: Challenge, held: Progress | None, member: MemberState, language: str, now: datetime
) -> dict[str, Any]:
    count = held.count if held is not None else 0
    if held is not None and held.completed_at is None and _lapsed(challenge, held, member, now):
        count = 0  # a streak broken, or the member's window over: it starts again
    badge = challenge.badge
    return {
        "id": challenge.challenge_id,
        "name": challenge.text(challenge.name, language),
        "description": challenge.text(challenge.description, language),
        "goal": challenge.goal.value,
        "target": challenge.target,
        "progress": min(count, challenge.target),
        "completed_at": held.completed_at if held is not None else None,
        "points": challenge.points,
        "reward_id": challenge.reward_id,
        "badge": (
            {"id": badge.badge_id, "name": challenge.text(badge.name, language), "icon": badge.icon}
            if badge is not None
            else None
        ),
        "ends": challenge.active_until.isoformat() if challenge.active_until else None,
    }


def _lapsed(challenge: Challenge, held: Progress, member: MemberState, now: datetime) -> bool:
    if challenge.rolling_days is not None:
        started = datetime.fromisoformat(held.started)
        if now >= started + timedelta(days=challenge.rolling_days):
            return True
    if challenge.goal == Goal.WEEKS_IN_A_ROW and held.last:
        return held.last < previous_week(*week_of(now, member.timezone))  # a week was missed
    return False
