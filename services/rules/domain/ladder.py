"""The loyalty ladder (seed 000): where each member stands, from *Terrorist* up through
*Know me* to *Evangelist*, and who is moving. Pure.

Stages are data: an ordered list of conditions over the member's facts (NPS group, open
complaints, recency and frequency, referrals, reviews ...); the first that holds is the
member's stage. A member is placed again after every event and by the daily pass, and every
change is a move (from, to, when) the dashboard charts.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Stage:
    stage_id: str
    name: Mapping[str, str]  # language -> name
    condition: str  # CEL over ``member``; the last stage's is usually "true"
    description: Mapping[str, str] = field(default_factory=dict)
    rank: int = 0  # height on the ladder (higher is better), for "up" and "down"


@dataclass(frozen=True, slots=True)
class StageMove:
    member_id: str
    previous: str  # "" for a member placed for the first time
    stage: str
    at: datetime


class Condition(Protocol):
    def __call__(self, facts: Mapping[str, Any]) -> bool: ...


def stage_of(facts: Mapping[str, Any], stages: Sequence[tuple[Stage, Condition]]) -> str:
    """The first stage whose condition the member's ``facts`` meet ("" if none does)."""
    scope = {"member": facts}
    return next((stage.stage_id for stage, condition in stages if condition(scope)), "")


def climb(
    member_id: str,
    current: str,
    facts: Mapping[str, Any],
    moment: datetime,
    stages: Sequence[tuple[Stage, Condition]],
) -> StageMove | None:
    """The move the member makes now, if their stage changed."""
    stage = stage_of(facts, stages)
    if stage == current or not stage:
        return None
    return StageMove(member_id, current, stage, moment)
