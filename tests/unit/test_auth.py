import hashlib
import json

import jwt
import pytest

from shared.auth import (
    SCOPE_ADMIN,
    SCOPE_INGEST,
    SCOPE_MEMBERS_READ,
    SCOPE_REPORTS,
    Authenticator,
    AuthError,
    Principal,
)
from shared.callers import require_member_access, require_scope
from shared.settings import AuthSettings

KEYS = json.dumps(
    [
        {"name": "pos", "key": "pos-secret", "scopes": [SCOPE_INGEST]},
        # What an operator configures: the digest of the key, e.g. `printf crm-secret | sha256sum`.
        {
            "name": "crm",
            "sha256": hashlib.sha256(b"crm-secret").hexdigest(),
            "scopes": [SCOPE_MEMBERS_READ],
        },
    ]
)
auth = Authenticator(AuthSettings(api_keys=KEYS, member_token_secret="s" * 32))


def test_an_api_key_carries_only_its_scopes() -> None:
    pos = auth.from_api_key("pos-secret")
    require_scope(pos, SCOPE_INGEST)
    with pytest.raises(AuthError) as refused:
        require_scope(pos, SCOPE_MEMBERS_READ)
    assert refused.value.status == 403


def test_a_limited_key_keeps_only_the_scopes_asked_for_that_it_has() -> None:
    admin = Principal(name="manager", scopes=frozenset({SCOPE_ADMIN, SCOPE_MEMBERS_READ}))
    assert admin.may(SCOPE_REPORTS)  # an admin reads the reports
    reading = admin.limited_to([SCOPE_MEMBERS_READ])
    assert (reading.may(SCOPE_MEMBERS_READ), reading.may(SCOPE_ADMIN)) == (True, False)
    assert admin.limited_to([SCOPE_REPORTS]).scopes == {SCOPE_REPORTS}
    assert admin.limited_to([SCOPE_INGEST]).scopes == frozenset()  # never more than it has
    everything = Principal(name="ops", scopes=frozenset({"*"}))
    assert everything.limited_to([SCOPE_REPORTS]).scopes == {SCOPE_REPORTS}
    with pytest.raises(AuthError) as refused:
        require_scope(reading, SCOPE_ADMIN)
    assert "X-Scope-Limit (members:read) leaves out the scope 'admin'" in refused.value.detail


def test_a_key_configured_by_its_digest_is_recognised() -> None:
    assert auth.from_api_key("crm-secret").name == "crm"


def test_an_unknown_key_is_refused() -> None:
    with pytest.raises(AuthError) as refused:
        auth.from_api_key("guess")
    assert refused.value.status == 401


def test_a_member_token_reaches_only_its_own_member() -> None:
    member = auth.from_member_token(auth.issue_member_token("m-1"))
    require_member_access(member, "m-1", SCOPE_MEMBERS_READ)
    with pytest.raises(AuthError) as refused:
        require_member_access(member, "m-2", SCOPE_MEMBERS_READ)
    assert refused.value.status == 403


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "m-1", "aud": "pointstream", "exp": 1},  # expired
        {"sub": "m-1", "aud": "elsewhere", "exp": 4_000_000_000},  # wrong audience
        {"sub": "m-1", "aud": "pointstream"},  # no expiry
    ],
)
def test_a_member_token_that_is_expired_foreign_or_unbounded_is_refused(
    claims: dict[str, object],
) -> None:
    token = jwt.encode(claims, "s" * 32, algorithm="HS256")
    with pytest.raises(AuthError):
        auth.from_member_token(token)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = jwt.encode(
        {"sub": "m-1", "aud": "pointstream", "exp": 4_000_000_000}, "x" * 32, algorithm="HS256"
    )
    with pytest.raises(AuthError):
        auth.from_member_token(token)
