"""The chart of accounts. Each member has three; the program has one per purpose.

Earning debits ``program:issued`` (its balance, negated, is the program's points liability);
expired points go to ``program:breakage``; spent points to ``program:redeemed``.
"""

PROGRAM_ISSUED = "program:issued"
PROGRAM_REDEEMED = "program:redeemed"
PROGRAM_BREAKAGE = "program:breakage"
PROGRAM_ADJUSTMENTS = "program:adjustments"

_MEMBER_PREFIX = "member:"
AVAILABLE = "available"
PENDING = "pending"
HELD = "held"


def member_account(member_id: str, purpose: str) -> str:
    return f"{_MEMBER_PREFIX}{member_id}:{purpose}"


def parse_member_account(account: str) -> tuple[str, str] | None:
    """``(member_id, purpose)`` of a member account, None for a program account."""
    if not account.startswith(_MEMBER_PREFIX):
        return None
    member_id, _, purpose = account.removeprefix(_MEMBER_PREFIX).rpartition(":")
    return member_id, purpose
