"""A wallet sign-in link works once: the console exchanges the link's member token here before
it opens a session, and a second exchange of the same token is refused. The token's id (its
``jti``, or its digest) is kept until the token expires; no member id is kept."""

import hashlib
from datetime import UTC, datetime
from typing import Any

import jwt
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from services.notifications.entrypoints.context import NotificationsDep
from services.notifications.service_layer.members import sign_in_once
from shared.callers import Caller, MemberId

router = APIRouter(prefix="/v1", tags=["members"])


class SignIn(BaseModel):
    member_id: str
    expires_at: datetime


@router.post(
    "/members/{member_id}/sign-ins",
    status_code=201,
    response_model=SignIn,
    responses={409: {"description": "the link was used already"}},
)
async def use_sign_in_link(
    member_id: MemberId, request: Request, principal: Caller, notifications: NotificationsDep
) -> SignIn:
    """Use the member token this request carries as a sign-in link: once. Only the member's
    own token (an API key has no link to use)."""
    if principal.member_id is None:
        raise HTTPException(403, "a sign-in link is a member token: send it as the bearer")
    if principal.member_id != member_id:
        raise HTTPException(403, "a member token reaches only its own member's data")
    token = request.headers.get("authorization", "").partition(" ")[2].strip()  # any case
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    token_id = str(claims.get("jti") or hashlib.sha256(token.encode()).hexdigest())[:100]
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC)  # verified: it has one
    fresh = await sign_in_once(token_id, expires, uow=notifications.uow())
    if not fresh:
        raise HTTPException(409, "this sign-in link was used already: ask for a new one")
    return SignIn(member_id=member_id, expires_at=expires)
