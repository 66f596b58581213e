"""Erasure (GDPR art. 17) as it travels: the request on ``loyalty.events.v1``, and the news that
a service forgot the member, on ``loyalty.awards.v1`` (from the rules) and ``loyalty.ledger.v1``
(from the ledger). Keyed by the member like their other events, so it comes after them."""

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ERASURE_REQUESTED = "member.erasure_requested"
MEMBER_ERASED = "member.erased"


class ErasureRequested(BaseModel):
    """Forget the member (the event's subject). Sent by ``POST /v1/members/{id}/erasure``
    with an admin key, or straight to Kafka by a trusted system (a CRM); refused at the
    ingest API, where tills' keys are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requested_by: str | None = Field(
        default=None, max_length=200, description="who asked: a key's name, a case number"
    )


class MemberErased(BaseModel):
    """A service has forgotten the member: what it held about them is deleted, or kept
    under an opaque key that nothing maps back to them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member_id: str = Field(min_length=1, max_length=200)
    erasure_event_id: str = Field(min_length=1, max_length=200)
    erased_at: AwareDatetime
