"""What an erased member's refusal says, and what a service answers about one."""

from datetime import datetime

from pydantic import BaseModel


class MemberWasErased(Exception):
    """An event or request for a member who was erased: refused (HTTP 410), never
    recreating them."""

    def __init__(self, member_id: str, erased_at: datetime) -> None:
        super().__init__(
            f"member {member_id} was erased on {erased_at.date().isoformat()}: "
            "nothing is kept or accepted for them any more"
        )
        self.member_id = member_id
        self.erased_at = erased_at


class ErasureStatus(BaseModel):
    service: str
    member_id: str
    erased: bool
    erased_at: datetime | None
