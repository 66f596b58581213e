"""Currencies and amounts: the ISO 4217 codes in use (funds and precious metals left out), a
currency field, and the one bound on an amount."""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field

from shared.contracts.numbers import DecimalText, non_negative_pattern

CURRENCIES = frozenset(
    """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split()  # noqa: SIM905 - a table reads better than 170 quoted strings
)


# The largest amount pointstream takes, in any currency, and once converted into the program's:
# within what the rules keep of a purchase (NUMERIC(14,2)). One bound, checked at ingest, and
# stated by the schema: at most 11 digits before the point and 4 after.
MAX_AMOUNT = Decimal("99999999999.9999")
if TYPE_CHECKING:
    Money = Decimal
else:
    Money = DecimalText(non_negative_pattern(11, 4), places=4, ge=Decimal(0), le=MAX_AMOUNT)


def _known_currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return code


Currency = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code"),
    AfterValidator(_known_currency),
]
