"""Who may call: API keys with scopes for systems, member bearer tokens (JWT) for apps.

Keys are kept only as SHA-256 digests, and a presented key is found by its digest; neither
keys nor tokens are ever logged.
"""

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import jwt

from shared.settings import AuthSettings

SCOPE_INGEST = "events:write"
SCOPE_MEMBERS_READ = "members:read"
# Change what a member chose (contact details, consents, channels) or marks (a message read),
# for a system acting for the member (a service desk); the member's own token may too.
SCOPE_MEMBERS_WRITE = "members:write"
SCOPE_REDEEM = "redemptions:write"
SCOPE_REPORTS = "reports:read"
SCOPE_ADMIN = "admin"
# A partner's key: ``partner:<id>`` reads that partner's own settlement and posts its own
# event types (source ``partners/<id>``), nothing else.
PARTNER = "partner:"
# What an admin key may do besides the admin routes: read the program's reports, and change
# a member's choices on their behalf.
_IMPLIED_BY_ADMIN = frozenset({SCOPE_REPORTS, SCOPE_MEMBERS_WRITE})


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a system (``member_id`` None) or a member reading their own data."""

    name: str
    scopes: frozenset[str]
    member_id: str | None = None
    # The scopes this request asked its key to act with (X-Scope-Limit), when it asked.
    limit: frozenset[str] | None = None

    def may(self, scope: str) -> bool:
        return (
            "*" in self.scopes
            or scope in self.scopes
            or (scope in _IMPLIED_BY_ADMIN and SCOPE_ADMIN in self.scopes)
        )

    @property
    def partner(self) -> str | None:
        """The partner a partner's key speaks for (its scope ``partner:<id>``), if one."""
        return next((s[len(PARTNER) :] for s in self.scopes if s.startswith(PARTNER)), None)

    def limited_to(self, scopes: Iterable[str]) -> "Principal":
        """The same caller with at most ``scopes``: a key asked to act with less than it may
        (``X-Scope-Limit``), never more."""
        asked = frozenset(scopes)
        return replace(self, scopes=frozenset(s for s in asked if self.may(s)), limit=asked)


@dataclass(frozen=True, slots=True)
class _Key:
    name: str
    digest: bytes
    scopes: frozenset[str]


class Authenticator:
    def __init__(self, settings: AuthSettings) -> None:
        self._keys = [_parse_key(spec) for spec in json.loads(settings.api_keys)]
        # Looked up by digest: a key's SHA-256 reveals nothing of it, so the lookup need not
        # be constant-time, and every request finds its key in one step.
        self._by_digest = {k.digest: Principal(name=k.name, scopes=k.scopes) for k in self._keys}
        self._secret = settings.member_token_secret
        self._audience = settings.member_token_audience
        self._issuer = settings.token_issuer
        self._member_claim = settings.member_claim
        # The provider's keys, cached; a token signed with a key not among them (the provider
        # rotated its keys) fetches them again before it is refused.
        self._jwks = (
            jwt.PyJWKClient(
                settings.jwks_url,
                cache_keys=True,
                lifespan=settings.jwks_cache_seconds,
                timeout=5,
                # Tokens with made-up key ids must not make every request a fetch.
                cooldown_duration=settings.jwks_refresh_cooldown_seconds,
            )
            if settings.jwks_url
            else None
        )

    def from_api_key(self, key: str) -> Principal:
        found = self._by_digest.get(hashlib.sha256(key.encode()).digest())
        if found is None:
            raise AuthError(401, "unknown API key")
        return found

    def from_member_token(self, token: str) -> Principal:
        """A member's bearer token: HS256, signed with the shared secret (tokens the
        retailer's backend mints), or RS256/ES256 from the identity provider, verified with
        its published keys (``AUTH_JWKS_URL``); audience, expiry (and the provider's issuer)
        checked. Anything else (``alg: none`` included) is refused."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            if algorithm == "HS256":
                claims = jwt.decode(
                    token,
                    self._secret,
                    algorithms=["HS256"],
                    audience=self._audience,
                    options={"require": ["sub", "exp"]},
                )
                return _member(claims, "sub")
            if algorithm in _PROVIDER_ALGORITHMS and self._jwks is not None:
                key = self._jwks.get_signing_key_from_jwt(token)  # unknown kid: fetched again
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[algorithm],
                    audience=self._audience,
                    issuer=self._issuer,
                    options={"require": ["exp", "iss", "aud", self._member_claim]},
                )
                return _member(claims, self._member_claim)
        except (jwt.PyJWTError, jwt.PyJWKClientError) as exc:
            raise AuthError(401, f"invalid member token: {exc}") from exc
        accepted = "HS256" + (", RS256 or ES256" if self._jwks is not None else "")
        raise AuthError(401, f"invalid member token: algorithm {algorithm!r}; accepted: {accepted}")

    def issue_member_token(self, member_id: str, *, ttl_seconds: int = 3600) -> str:
        """For development and tests; production tokens come from the identity provider."""
        import time

        now = int(time.time())
        claims = {
            "sub": member_id,
            "aud": self._audience,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,  # a sign-in link made of it works once
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")


_PROVIDER_ALGORITHMS = ("RS256", "ES256")


def _member(claims: dict[str, Any], claim: str) -> Principal:
    member_id = claims.get(claim)
    if not isinstance(member_id, str | int) or not str(member_id):
        raise AuthError(401, f"invalid member token: no member id in its {claim!r} claim")
    return Principal(name="member", scopes=frozenset(), member_id=str(member_id))


def _parse_key(spec: dict[str, Any]) -> _Key:
    if "sha256" in spec:
        digest = bytes.fromhex(spec["sha256"])
    else:
        digest = hashlib.sha256(str(spec["key"]).encode()).digest()
    return _Key(name=str(spec["name"]), digest=digest, scopes=frozenset(spec.get("scopes", [])))
