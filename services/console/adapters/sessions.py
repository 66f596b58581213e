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
        token = self._fernet.encrypt(json.dumps(session.__dict__).encode()).decode()
        return token, session

    def open(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = json.loads(self._fernet.decrypt(cookie.encode(), ttl=self._ttl))
            return Session(key=data["key"], name=data["name"], csrf=data["csrf"])
        except (InvalidToken, ValueError, KeyError, TypeError):
            return None

    @property
    def max_age(self) -> int:
        return self._ttl


def same_token(sent: str | None, session: Session) -> bool:
    return sent is not None and hmac.compare_digest(sent, session.csrf)
