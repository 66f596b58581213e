"""Purchases in another currency than the program's, counted in the program's at the rate of
their day. Pure: stdlib only.

A rate is how much one unit of a currency is worth in the program's currency on a day (a
central bank's reference rate). A purchase uses the newest rate of its currency dated on or
before its own day (UTC), if that rate is at most ``MAX_RATE_AGE`` old: reference rates are not
published on weekends and holidays, and an older rate is no rate."""

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from services.rules.domain.model import Purchase

MAX_RATE_AGE = timedelta(days=7)
CENT = Decimal("0.01")
_UNIT = Decimal("0.0001")  # unit prices keep four places, as the contract takes them


@dataclass(frozen=True, slots=True)
class Rate:
    currency: str
    day: date
    rate: Decimal  # the program's currency for one unit of ``currency``


class NoRate(ValueError):
    """A purchase in a currency with no usable rate for its day; the message says which."""


class AmountTooLarge(ValueError):
    """A purchase larger, in the program's currency, than pointstream takes."""


def purchase_day(moment: datetime) -> date:
    """The day whose rate a purchase made at ``moment`` is counted at: its UTC day."""
    return moment.astimezone(UTC).date()


def rate_for(rates: Iterable[Rate], currency: str, day: date) -> Rate | None:
    """The rate a purchase in ``currency`` on ``day`` is counted at, or None."""
    usable = [r for r in rates if r.currency == currency and day - MAX_RATE_AGE <= r.day <= day]
    return max(usable, key=lambda r: r.day, default=None)


def no_rate(currency: str, day: date, program_currency: str) -> NoRate:
    return NoRate(
        f"no exchange rate from {currency} to {program_currency} for {day.isoformat()} "
        f"(the newest of the {MAX_RATE_AGE.days} days before is used): set one with "
        "PUT /v1/exchange-rates or `pointstream rates set`"
    )


def too_large(amount: Decimal, currency: str, counted: Decimal, program: str, most: Decimal) -> str:
    return (
        f"{amount} {currency} is {counted} {program}: more than the largest amount taken "
        f"({most} {program})"
    )


def to_program_currency(
    purchase: Purchase, rate: Rate, program_currency: str, *, most: Decimal
) -> Purchase:
    """The purchase with its amounts in the program's currency, and what it was paid in;
    AmountTooLarge if its total there is more than ``most``."""
    total = convert(purchase.total, rate.rate)
    if total > most:
        raise AmountTooLarge(
            too_large(purchase.total, purchase.currency, total, program_currency, most)
        )
    return dataclasses.replace(
        purchase,
        currency=program_currency,
        total=total,
        paid_with_points=convert(purchase.paid_with_points, rate.rate),
        lines=tuple(
            dataclasses.replace(
                ln, unit_price=(ln.unit_price * rate.rate).quantize(_UNIT, ROUND_HALF_EVEN)
            )
            for ln in purchase.lines
        ),
        paid_in=purchase.currency,
        paid_in_total=purchase.total,
        paid_in_paid=purchase.paid,
        rate=rate.rate,
    )


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, ROUND_HALF_EVEN)


def rates_needed(
    purchases: Iterable[tuple[str, date]], program_currency: str
) -> Mapping[str, tuple[date, date]]:
    """For each foreign currency, the first and last day whose rates the purchases may use."""
    spans: dict[str, tuple[date, date]] = {}
    for currency, day in purchases:
        if currency == program_currency:
            continue
        first, last = spans.get(currency, (day, day))
        spans[currency] = (min(first, day - MAX_RATE_AGE), max(last, day))
    return spans
