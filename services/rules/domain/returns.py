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
    """A purchase as its returns need it: in the currency it was paid in (``currency``,
    ``paid``, ``returned``), what it counted for in the program's (``counted``, at ``rate``),
    and what each rule's share of it earned."""

    event_id: str
    member_id: str
    currency: str
    paid: Decimal
    returned: Decimal = Decimal(0)
    shares: dict[str, EarnedShare] = field(default_factory=dict)  # rule id -> share
    rate: Decimal = Decimal(1)  # the program's currency per unit of ``currency``
    counted: Decimal | None = None  # ``paid`` in the program's currency; None: the same
    counted_in: str | None = None  # the program's currency, when another than ``currency``
    sent_as: tuple[str, str] | None = None  # its source and id, as its sender wrote them

    def counted_net(self) -> Decimal:
        """What the purchase counts for in the program's currency, net of returns."""
        if self.counted is None or not self.paid:
            return self.paid - self.returned
        return (self.counted * (self.paid - self.returned) / self.paid).quantize(Decimal("0.01"))

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
                    explanation=_returned(
                        member_language, ret.amount, ret.currency, self._counted(ret.amount)
                    ),
                    language=_returned_language(member_language),
                    revokes_event_id=self.event_id,
                    source_event_id=return_event_id,
                    revoked_at=now,
                )
            )
        return revocations

    def _counted(self, amount: Decimal) -> tuple[Decimal, str] | None:
        """``amount`` of this purchase's currency in the program's, at the purchase's rate
        (None when they are the same currency)."""
        if self.counted_in is None or self.counted_in == self.currency:
            return None
        return (amount * self.rate).quantize(Decimal("0.01")), self.counted_in


_RETURNED = {
    "en": "returned goods worth {amount} {currency}",
    "da": "returvarer for {amount} {currency}",
    "sv": "returnerade varor för {amount} {currency}",
}


def _returned_language(language: str) -> str:
    return next((tag for tag in (language, language[:2]) if tag in _RETURNED), "en")


def _returned(
    language: str, amount: Decimal, currency: str, counted: tuple[Decimal, str] | None = None
) -> str:
    """What was returned; for a purchase in another currency than the program's, also what it
    counted for there (``counted``), at the purchase's rate."""
    chosen = _returned_language(language)
    text = _RETURNED[chosen].format(amount=money(amount, chosen), currency=currency)
    if counted is not None:
        text += f" = {money(counted[0], chosen)} {counted[1]}"
    return text
