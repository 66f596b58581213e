"""Who is calling: an API key or a member token turned into a :class:`Principal`, and the
guards routes put in front of their work (scopes; a member reaches only their own data)."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from shared.auth import Authenticator, AuthError, Principal
from shared.contracts.envelope import MEMBER_ID_MAX, MEMBER_ID_PATTERN

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)
_bearer = HTTPBearer(auto_error=False)


# A caller may ask its key to act with fewer scopes than it has, for one request: the console
# fetches each page's data with only the scopes that page needs ("members:read", ...).
SCOPE_LIMIT = "X-Scope-Limit"


async def caller(  # async: a sync dependency would cost a thread hop on every request
    request: Request,
    key: Annotated[str | None, Depends(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    auth: Authenticator = request.app.state.authenticator
    limit = request.headers.get(SCOPE_LIMIT)
    return _authenticate(auth, key, bearer.credentials if bearer else None, limit)


def _authenticate(
    auth: Authenticator, key: str | None, token: str | None, limit: str | None = None
) -> Principal:
    """An API key first, else a member token; AuthError when neither is good. With a scope
    limit (space-separated scopes), the key acts with only those of its scopes."""
    if key:
        found = auth.from_api_key(key)
    elif token:
        found = auth.from_member_token(token)
    else:
        raise AuthError(
            401, "send an API key (X-API-Key) or a member token (Authorization: Bearer)"
        )
    return found if limit is None else found.limited_to(limit.split())


Caller = Annotated[Principal, Depends(caller)]


def scoped(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only callers with ``scope`` in, before the body is even read."""

    async def check(principal: Caller) -> Principal:
        require_scope(principal, scope)
        return principal

    return check


def member_scoped(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency for a route on ``/members/{member_id}/...``: the member's own token, or a
    system with ``scope``; checked before the body is even read."""

    async def check(request: Request, principal: Caller) -> Principal:
        require_member_access(principal, str(request.path_params.get("member_id", "")), scope)
        return principal

    return check


def system_scoped(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: an API key with ``scope`` only, never a member's token."""

    async def check(principal: Caller) -> Principal:
        require_system(principal, scope)
        return principal

    return check


def scoped_unless_member(scope: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency: any member token (the route keeps it to the member's own), or a system
    with ``scope``."""

    async def check(principal: Caller) -> Principal:
        if principal.member_id is None:
            require_scope(principal, scope)
        return principal

    return check


# A member id in a path: the same characters the envelope's ``subject`` allows.
MemberId = Annotated[str, Path(min_length=1, max_length=MEMBER_ID_MAX, pattern=MEMBER_ID_PATTERN)]


def require_scope(principal: Principal, scope: str) -> None:
    if not principal.may(scope):
        if principal.limit is not None and scope not in principal.limit:
            asked = " ".join(sorted(principal.limit)) or "nothing"
            raise AuthError(
                403, f"this request's {SCOPE_LIMIT} ({asked}) leaves out the scope {scope!r}"
            )
        raise AuthError(403, f"this API key lacks the scope {scope!r}")


def require_system(principal: Principal, scope: str) -> None:
    """Only a system with ``scope`` (a till), never a member's token: what a member must not
    do to their own points, such as releasing a till's hold on them."""
    if principal.member_id is not None:
        raise AuthError(403, f"a member token cannot do this: it takes an API key with {scope!r}")
    require_scope(principal, scope)


def require_member_access(principal: Principal, member_id: str, scope: str) -> None:
    """A member reaches only their own data; a system needs the scope."""
    if principal.member_id is not None:
        if principal.member_id != member_id:
            raise AuthError(403, "a member token reaches only its own member's data")
        return
    require_scope(principal, scope)


def scope_caller(auth: Authenticator, scope: Scope) -> Principal | None:
    """The caller of a plain-ASGI fast path, as :func:`caller` finds it (an API key first,
    else a member token); None where the route must answer (no or a wrong credential)."""
    key = bearer = limit = None
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            key = value.decode("latin-1")
        elif name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                bearer = credentials.strip()
        elif name == b"x-scope-limit":
            limit = value.decode("latin-1")
    try:
        return _authenticate(auth, key, bearer, limit)
    except AuthError:
        return None
