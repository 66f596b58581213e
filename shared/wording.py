"""Numbers and days as a member's language writes them, for the texts members read
(explanations, messages): 1,299 and 1,299.00 (en), 1.299 and 1.299,00 (da), 1 299 and
1 299,00 (sv, with a no-break space); 28 December 2026, 28. december 2026, 28 december 2026.
Other languages are written as English is."""

from decimal import ROUND_HALF_UP, Decimal

_CENTS = Decimal("0.01")


def grouped(value: int | Decimal, language: str | None) -> str:
    """A whole number or an amount, its thousands grouped and its decimals pointed as
    ``language`` writes them."""
    written = f"{value:,}" if isinstance(value, int) else f"{value:,f}"
    match (language or "en")[:2]:
        case "da":
            return written.replace(",", " ").replace(".", ",").replace(" ", ".")
        case "sv":
            return written.replace(",", "\u00a0").replace(".", ",")
    return written


def money(amount: Decimal, language: str | None) -> str:
    """An amount with its own decimals, at most two (a share of a basket is rounded to the
    cent), as ``language`` writes it."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        amount = amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
    return grouped(amount, language)


_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
}


def day(iso: str, language: str | None) -> str:
    """The day of an ISO date or time (its first ten characters) as ``language`` writes it."""
    year, month, date = (int(part) for part in iso[:10].split("-"))
    tag = (language or "en")[:2]
    name = _MONTHS.get(tag, _MONTHS["en"]).split()[month - 1]
    return f"{date}. {name} {year}" if tag == "da" else f"{date} {name} {year}"
