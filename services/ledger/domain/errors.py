"""Refusals of the ledger's domain, each with a message a caller can act on."""


class LedgerError(Exception):
    """A request the ledger refuses; nothing was written."""


class InsufficientPoints(LedgerError):
    pass


class InvalidPoints(LedgerError):
    pass


class UnknownMember(LedgerError):
    pass


class UnknownRedemption(LedgerError):
    pass


class RedemptionStateConflict(LedgerError):
    """E.g. capturing a released hold."""


class IdempotencyConflict(LedgerError):
    """The same operation id arrived again with different content."""


class UnknownReward(LedgerError):
    pass


class RewardUnavailable(LedgerError):
    """The member cannot have this reward now; the message lists why."""


class UnknownVoucher(LedgerError):
    pass


class VoucherNotUsable(LedgerError):
    """Used, cancelled or expired already; the message says which and when."""
