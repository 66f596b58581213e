"""Returns take back what a purchase earned: each rule's share, partial returns in proportion,
so that buy, earn, refund never leaves points behind."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.rules.domain.engine import to_points
from services.rules.domain.model import Award, Return, Revocation
from services.rules.domain.rules import Rounding
from shared.wording import money


class InvalidReturn(ValueError):
    """A return that cannot be applied; the message says why."""


class UnknownPurchase(InvalidReturn):
    """A return refers to a purchase the rules never saw (for this member)."""


@dataclass(slots=True)
class EarnedShare:
    rule_version: int
    points: int
    revoked: int = 0


@dataclass(slots=True)
class PurchaseRecord:
    event_id: str
    member_id: str
    currency: str
    paid: Decimal
    returned: Decimal = Decimal(0)
    shares: dict[str, EarnedShare] = field(default_factory=dict)  # rule id -> share

    def record(self, awards: list[Award]) -> None:
        for award in awards:
            self.shares[award.rule_id] = EarnedShare(award.rule_version, award.points)

    def check(self, ret: Return) -> None:
        """Refuse a return this purchase cannot take, before anything changes."""
        if ret.currency != self.currency:
            raise InvalidReturn(f"the return is in {ret.currency}, the purchase in {self.currency}")

    def take_back(
        self, ret: Return, *, return_event_id: str, member_language: str, now: datetime
    ) -> list[Revocation]:
        """Revocations for this return; cumulative, so several partial returns of the whole
        purchase take back exactly everything it earned."""
        self.check(ret)
        self.returned = min(self.returned + ret.amount, self.paid)
        fraction = self.returned / self.paid if self.paid else Decimal(1)
        revocations = []
        for rule_id, share in sorted(self.shares.items()):
            due = to_points(share.points * fraction, Rounding.HALF_UP) - share.revoked
            if due <= 0:
                continue
            share.revoked += due
            revocations.append(
                Revocation(
                    member_id=self.member_id,
                    points=due,
                    rule_id=rule_id,
                    rule_version=share.rule_version,
                    explanation=_returned(member_language, ret.amount, ret.currency),
                    language=_returned_language(member_language),
                    revokes_event_id=self.event_id,
                    source_event_id=return_event_id,
                    revoked_at=now,
                )
            )
        return revocations


_RETURNED = {
    "en": "returned goods worth {amount} {currency}",
    "da": "returvarer for {amount} {currency}",
    "sv": "returnerade varor för {amount} {currency}",
}


def _returned_language(language: str) -> str:
    return next((tag for tag in (language, language[:2]) if tag in _RETURNED), "en")


def _returned(language: str, amount: Decimal, currency: str) -> str:
    chosen = _returned_language(language)
    return _RETURNED[chosen].format(amount=money(amount, chosen), currency=currency)
