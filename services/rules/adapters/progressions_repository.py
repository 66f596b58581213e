"""Members' ways through challenges and up and down the ladder, a chunk at a time; and what
the challenge and ladder pages read."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import challenge_members, stage_moves
from services.rules.domain.challenges import Step
from services.rules.domain.ladder import StageMove
from shared.bulk import insert_rows


class ProgressionsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def keep(self, climbs: Sequence[StageMove], steps: Sequence[Step]) -> None:
        await insert_rows(
            self.session,
            stage_moves,
            [
                {"member_id": c.member_id, "previous": c.previous, "stage": c.stage, "at": c.at}
                for c in climbs
            ],
        )
        await insert_rows(
            self.session,
            challenge_members,
            [
                {
                    "challenge_id": s.challenge.challenge_id,
                    "member_id": s.member_id,
                    "progress": s.count,
                    "joined_at": s.since or s.at,  # (every step writes it: the same)
                    "updated_at": s.at,
                    "completed_at": s.at if s.completed else None,
                    "points": s.challenge.points if s.completed else 0,
                }
                for s in steps
            ],
            on_conflict="update",
            key=["challenge_id", "member_id"],
        )

    async def challenge_counts(self) -> dict[str, dict[str, int]]:
        """Per challenge: members who joined (made a step), are on their way, completed it,
        and the points completions gave."""
        done = challenge_members.c.completed_at.is_not(None)
        rows = await self.session.execute(
            select(
                challenge_members.c.challenge_id,
                func.count().label("joined"),
                func.sum(case((done, 1), else_=0)).label("completed"),
                func.coalesce(func.sum(challenge_members.c.points), 0).label("points"),
            ).group_by(challenge_members.c.challenge_id)
        )
        return {
            r.challenge_id: {
                "joined": int(r.joined),
                "on_their_way": int(r.joined) - int(r.completed or 0),
                "completed": int(r.completed or 0),
                "points": int(r.points),
            }
            for r in rows
        }

    async def stages_at(self, moment: datetime) -> dict[str, str]:
        """Every member's stage at ``moment`` (members placed later are not in it)."""
        latest = (
            select(
                stage_moves.c.member_id,
                stage_moves.c.stage,
                func.row_number()
                .over(
                    partition_by=stage_moves.c.member_id,
                    order_by=(stage_moves.c.at.desc(), stage_moves.c.id.desc()),
                )
                .label("n"),
            )
            .where(stage_moves.c.at <= moment)
            .subquery()
        )
        rows = await self.session.execute(
            select(latest.c.member_id, latest.c.stage).where(latest.c.n == 1)
        )
        return {r.member_id: r.stage for r in rows}

    async def member_moves(self, member_id: str) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            select(stage_moves.c.previous, stage_moves.c.stage, stage_moves.c.at)
            .where(stage_moves.c.member_id == member_id)
            .order_by(stage_moves.c.at, stage_moves.c.id)
        )
        return [{"from": r.previous, "to": r.stage, "at": r.at.isoformat()} for r in rows]
