"""The manager's session: their key, kept in a cookie encrypted and signed with the console's
secret (Fernet), HttpOnly and SameSite=Strict, for ``session_hours``; and a CSRF token every
form posts back."""

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "pointstream_console"
WALLET_COOKIE = "pointstream_wallet"
LANGUAGES = ("da", "sv", "en")


@dataclass(frozen=True)
class Session:
    key: str  # the manager's API key: every call to a service is made with it
    name: str  # the key's name, shown on the pages and in audits
    csrf: str


class Sessions:
    def __init__(self, secret: str, hours: int) -> None:
        derived = hashlib.sha256(secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._ttl = hours * 3600

    def seal(self, key: str, name: str) -> tuple[str, Session]:
        session = Session(key=key, name=name, csrf=secrets.token_urlsafe(24))
        return self.sealed(session.__dict__), session

    def open(self, cookie: str | None) -> Session | None:
        data = self.opened(cookie)
        try:
            return None if data is None else Session(**data)
        except TypeError:
            return None

    def sealed(self, data: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(data).encode()).decode()

    def opened(self, cookie: str | None) -> dict[str, str] | None:
        """What a cookie sealed, if it is this console's, untampered and not too old."""
        if not cookie:
            return None
        try:
            data = json.loads(self._fernet.decrypt(cookie.encode(), ttl=self._ttl))
        except (InvalidToken, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @property
    def max_age(self) -> int:
        return self._ttl


@dataclass(frozen=True)
class WalletSession:
    token: str  # the member's token: every call is made with it, and reaches only their data
    member_id: str
    language: str
    csrf: str


class Wallets:
    """The member's session in the wallet, sealed the same way as the manager's."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def seal(self, token: str, member_id: str, language: str, csrf: str = "") -> str:
        data = {
            "token": token,
            "member_id": member_id,
            "language": language if language in LANGUAGES else "en",
            "csrf": csrf or secrets.token_urlsafe(24),
        }
        return self._sessions._fernet.encrypt(json.dumps(data).encode()).decode()

    def open(self, cookie: str | None) -> WalletSession | None:
        if not cookie:
            return None
        try:
            data = json.loads(
                self._sessions._fernet.decrypt(cookie.encode(), ttl=self._sessions.max_age)
            )
            return WalletSession(**data)
        except (InvalidToken, ValueError, KeyError, TypeError):
            return None


def same_token(sent: str | None, session: Session | WalletSession) -> bool:
    return sent is not None and hmac.compare_digest(sent, session.csrf)


def same_secret(sent: str, kept: str) -> bool:
    """Whether a form sent back the secret a cookie keeps (both non-empty)."""
    return bool(sent) and bool(kept) and hmac.compare_digest(sent, kept)
