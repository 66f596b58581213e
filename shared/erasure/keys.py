"""An erased member's digest (SHA-256 of the id: matched, never read back) and the opaque key
of rows kept for the books after them (``~`` and random hex: never a member id)."""

import hashlib
import secrets

ANONYMOUS = "~"


def digest(member_id: str) -> str:
    return hashlib.sha256(member_id.encode()).hexdigest()


def anonymous_key() -> str:
    """An opaque key for rows kept after the member who made them is forgotten."""
    return ANONYMOUS + secrets.token_hex(16)


def is_anonymous(member_id: str) -> bool:
    return member_id.startswith(ANONYMOUS)
