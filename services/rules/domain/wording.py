"""Amounts as a member's language writes them in an explanation: 1,299.00 (en), 1.299,00
(da), 1 299,00 (sv)."""

from decimal import ROUND_HALF_UP, Decimal

_CENTS = Decimal("0.01")


def money(amount: Decimal, language: str) -> str:
    """``amount`` with its own decimals (at most two: a share of a basket is rounded to the
    cent), grouped and pointed as ``language`` writes it; English for other languages."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        amount = amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
    written = f"{amount:,f}"
    match language[:2]:
        case "da":
            return written.replace(",", " ").replace(".", ",").replace(" ", ".")
        case "sv":
            return written.replace(",", "\u00a0").replace(".", ",")
    return written
