"""Member tokens from the retailer's identity provider (RS256, ES256), verified against its JWKS
served by a real local HTTP server, with keys made in the test."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from shared.auth import Authenticator, AuthError
from shared.settings import AuthSettings

ISSUER = "https://id.example.com/"
AUDIENCE = "pointstream"


class Provider(ThreadingHTTPServer):
    """Publishes the public halves of its current keys at /jwks.json; counts the fetches."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _JwksHandler)
        self.keys: dict[str, Any] = {}  # kid -> private key
        self.fetches = 0

    def add_key(self, kid: str, key: Any) -> None:
        self.keys[kid] = key

    def jwks(self) -> dict[str, Any]:
        published = []
        for kid, key in self.keys.items():
            if isinstance(key, rsa.RSAPrivateKey):
                jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
                jwk["alg"] = "RS256"
            else:
                jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
                jwk["alg"] = "ES256"
            published.append(jwk | {"kid": kid, "use": "sig"})
        return {"keys": published}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/jwks.json"


class _JwksHandler(BaseHTTPRequestHandler):
    server: Provider

    def do_GET(self) -> None:
        self.server.fetches += 1
        body = json.dumps(self.server.jwks()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def provider() -> Iterator[Provider]:
    server = Provider()
    server.add_key("rsa-1", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    server.add_key("ec-1", ec.generate_private_key(ec.SECP256R1()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def authenticator(provider: Provider, **settings: Any) -> Authenticator:
    return Authenticator(
        AuthSettings(
            jwks_url=provider.url,
            token_issuer=ISSUER,
            member_token_audience=AUDIENCE,
            **settings,
        )
    )


def token(provider: Provider, kid: str, **changes: Any) -> str:
    now = int(time.time())
    claims = {"sub": "m-42", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300}
    claims |= changes
    key = provider.keys[kid]
    algorithm = "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
def test_a_providers_token_names_its_member(provider: Provider, kid: str) -> None:
    member = authenticator(provider).from_member_token(token(provider, kid))
    assert member.member_id == "m-42"
    assert member.scopes == frozenset()


def test_the_member_id_may_come_from_another_claim(provider: Provider) -> None:
    auth = authenticator(provider, member_claim="loyalty_id")
    found = auth.from_member_token(token(provider, "rsa-1", loyalty_id="card-7", sub="u-1"))
    assert found.member_id == "card-7"
    with pytest.raises(AuthError, match="loyalty_id"):
        auth.from_member_token(token(provider, "rsa-1"))  # the claim is missing


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"iss": "https://evil.example.com/"}, "issuer"),
        ({"aud": "another-app"}, "Audience"),
        ({"exp": int(time.time()) - 60}, "expired"),
    ],
)
def test_a_token_for_someone_else_or_too_old_is_refused(
    provider: Provider, changes: dict[str, Any], says: str
) -> None:
    with pytest.raises(AuthError, match=says) as refused:
        authenticator(provider).from_member_token(token(provider, "ec-1", **changes))
    assert refused.value.status == 401


def test_an_unsigned_token_is_refused(provider: Provider) -> None:
    now = int(time.time())
    claims = {"sub": "m-42", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300}
    unsigned = jwt.encode(claims, "", algorithm="none")
    with pytest.raises(AuthError, match="algorithm 'none'"):
        authenticator(provider).from_member_token(unsigned)


def test_a_key_the_provider_does_not_publish_is_refused(provider: Provider) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"sub": "m-42", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300}
    forged = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "rsa-1"})
    unknown = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": "nobody"})
    auth = authenticator(provider)
    with pytest.raises(AuthError, match="Signature verification failed"):
        auth.from_member_token(forged)  # a published kid, but not the provider's signature
    with pytest.raises(AuthError, match="signing key"):
        auth.from_member_token(unknown)


def test_keys_are_cached_and_fetched_again_when_the_provider_rotates(provider: Provider) -> None:
    auth = authenticator(provider, jwks_refresh_cooldown_seconds=0)
    for _ in range(3):
        auth.from_member_token(token(provider, "rsa-1"))
    assert provider.fetches == 1  # one fetch, then the cache
    provider.add_key("rsa-2", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert auth.from_member_token(token(provider, "rsa-2")).member_id == "m-42"
    assert provider.fetches == 2  # an unknown kid fetched the keys again, once


def test_made_up_key_ids_do_not_make_every_request_a_fetch(provider: Provider) -> None:
    auth = authenticator(provider)  # the default cooldown: 30 s between fetches
    auth.from_member_token(token(provider, "rsa-1"))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"sub": "m-42", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 300}
    for n in range(5):
        made_up = jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": f"x-{n}"})
        with pytest.raises(AuthError, match="signing key"):
            auth.from_member_token(made_up)
    assert provider.fetches <= 2


def test_without_a_jwks_only_the_shared_secret_signs_tokens(provider: Provider) -> None:
    auth = Authenticator(AuthSettings(member_token_audience=AUDIENCE))
    with pytest.raises(AuthError, match=r"accepted: HS256$"):
        auth.from_member_token(token(provider, "rsa-1"))
    assert auth.from_member_token(auth.issue_member_token("m-1")).member_id == "m-1"


def test_a_jwks_without_an_issuer_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="AUTH_TOKEN_ISSUER"):
        AuthSettings(jwks_url="http://127.0.0.1:1/jwks.json")
