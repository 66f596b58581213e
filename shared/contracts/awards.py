"""Payloads on ``loyalty.awards.v1``: what the rules decided an event is worth."""

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

POINTS_AWARDED = "points.awarded"


class PointsAwarded(BaseModel):
    """Points a rule awarded a member for one event; ``award_id`` = f(event id, rule id)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    award_id: str = Field(min_length=1, max_length=200)
    member_id: str = Field(min_length=1, max_length=200)
    points: int = Field(gt=0, le=1_000_000_000)
    rule_id: str = Field(min_length=1, max_length=200)
    rule_version: int = Field(ge=1)
    explanation: str = Field(min_length=1, max_length=500)
    source_event_id: str = Field(min_length=1, max_length=200)
    source_event_type: str = Field(min_length=1, max_length=200)
    awarded_at: AwareDatetime
    pending_until: AwareDatetime | None = None

    def is_pending_at(self, moment: datetime) -> bool:
        return self.pending_until is not None and self.pending_until > moment
