"""The program's exchange rates: read a chunk's at once, set and correct them, and read them
from a CSV, either pointstream's own (``currency,day,rate``: the program's currency for one
unit) or a central bank's daily reference rates in the European Central Bank's layout
(``Date,USD,JPY,...,DKK,...``: units of each currency for one euro), turned into the program's
currency through the euro's rate."""

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import audit, exchange_rates
from services.rules.domain.exchange import Rate
from shared.audit import record_change
from shared.bulk import insert_rows
from shared.contracts.currencies import CURRENCIES

_PLACES = Decimal("1E-10")  # what the table keeps


class RatesError(ValueError):
    """A rate or a CSV that cannot be taken; ``problems`` name each line and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class RatesRepository:
    """The exchange rates, for a chunk's purchases and for the program's admins."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def exchange_rates(self, spans: Mapping[str, tuple[date, date]]) -> list[Rate]:
        """Each currency's rates from the first day of its span to the last."""
        return await rates_within(self.session, spans)

    async def set_rates(self, rates: Sequence[Rate], *, by: str, at: datetime) -> None:
        """Add the rates, or correct those of the same currency and day (in the audit trail)."""
        await set_rates(self.session, rates, by=by, at=at)
        for currency in sorted({r.currency for r in rates}):
            await record_change(
                self.session,
                audit,
                actor=by,
                action="set",
                kind="exchange rates",
                object_id=currency,
                after={str(r.day): str(r.rate) for r in rates if r.currency == currency},
                at=at,
            )


async def rates_within(session: AsyncSession, spans: Mapping[str, tuple[date, date]]) -> list[Rate]:
    """Each currency's rates from the first day of its span to the last: one query."""
    if not spans:
        return []
    rows = await session.execute(
        select(exchange_rates.c.currency, exchange_rates.c.day, exchange_rates.c.rate).where(
            or_(
                *(
                    and_(
                        exchange_rates.c.currency == currency,
                        exchange_rates.c.day.between(first, last),
                    )
                    for currency, (first, last) in spans.items()
                )
            )
        )
    )
    return [Rate(r.currency, r.day, Decimal(r.rate)) for r in rows]


async def set_rates(session: AsyncSession, rates: Sequence[Rate], *, by: str, at: datetime) -> None:
    """Add the rates, or correct those of the same currency and day."""
    await insert_rows(
        session,
        exchange_rates,
        [
            {"currency": r.currency, "day": r.day, "rate": r.rate, "set_at": at, "set_by": by}
            for r in rates
        ],
        on_conflict="update",
        key=["currency", "day"],
    )


async def list_rates(
    session: AsyncSession, *, currency: str | None, first: date | None, last: date | None
) -> list[dict[str, str]]:
    query = select(exchange_rates).order_by(exchange_rates.c.day.desc(), exchange_rates.c.currency)
    if currency:
        query = query.where(exchange_rates.c.currency == currency)
    if first:
        query = query.where(exchange_rates.c.day >= first)
    if last:
        query = query.where(exchange_rates.c.day <= last)
    rows = await session.execute(query.limit(5000))
    return [
        {
            "currency": r.currency,
            "day": r.day.isoformat(),
            "rate": str(Decimal(r.rate).normalize()),
            "set_at": r.set_at.isoformat(),
            "set_by": r.set_by,
        }
        for r in rows
    ]


def checked_rate(currency: str, day: str | date, rate: str | Decimal, program: str) -> Rate:
    """One rate, or RatesError saying what is wrong with it."""
    problems = []
    if currency not in CURRENCIES:
        problems.append(f"{currency!r} is not an ISO 4217 currency code")
    elif currency == program:
        problems.append(f"{currency} is the program's currency: its rate is 1")
    try:
        on = day if isinstance(day, date) else date.fromisoformat(day)
    except ValueError:
        problems.append(f"{day!r} is not a day (YYYY-MM-DD)")
    try:
        value = Decimal(rate)
        if not value.is_finite() or value <= 0 or value >= Decimal("1E13"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems.append(f"{rate!r} is not a rate (a positive number, e.g. 0.6603)")
    if problems:
        raise RatesError(problems)
    return Rate(currency, on, value.quantize(_PLACES))


def rates_from_csv(text: str, program: str) -> list[Rate]:
    """The rates in a CSV of either layout (see the module); RatesError naming every line
    that cannot be taken, and nothing taken then."""
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(row)]
    if not rows:
        raise RatesError(["the file is empty"])
    header = [cell.strip() for cell in rows[0]]
    if [h.lower() for h in header[:3]] == ["currency", "day", "rate"]:
        return _own_layout(rows[1:], program)
    if header and header[0].lower() == "date":
        return _central_bank_layout(header, rows[1:], program)
    raise RatesError(
        [
            "line 1: expected the header currency,day,rate, or Date,<currency>,... as the "
            "European Central Bank's reference rates have it"
        ]
    )


def _own_layout(rows: list[list[str]], program: str) -> list[Rate]:
    rates, problems = [], []
    for number, row in enumerate(rows, start=2):
        cells = [c.strip() for c in row] + ["", "", ""]
        try:
            rates.append(checked_rate(cells[0], cells[1], cells[2], program))
        except RatesError as exc:
            problems += [f"line {number}: {p}" for p in exc.problems]
    if problems:
        raise RatesError(problems)
    return rates


def _central_bank_layout(header: list[str], rows: list[list[str]], program: str) -> list[Rate]:
    """Units of each currency per euro; the program's currency per unit is then
    (program per euro) / (currency per euro); the euro's own is (program per euro)."""
    currencies = header[1:]
    if program != "EUR" and program not in currencies:
        raise RatesError([f"line 1: the file has no column for {program}, the program's currency"])
    rates, problems = [], []
    for number, row in enumerate(rows, start=2):
        cells = dict(zip(currencies, (c.strip() for c in row[1:]), strict=False))
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            problems.append(f"line {number}: {row[0]!r} is not a day (YYYY-MM-DD)")
            continue
        per_euro = {
            cur: Decimal(value)
            for cur, value in cells.items()
            if cur and cur in CURRENCIES and _number(value)
        }
        program_per_euro = Decimal(1) if program == "EUR" else per_euro.get(program)
        if program_per_euro is None:
            continue  # no rate of the program's currency that day: no cross rates either
        if program != "EUR":
            per_euro["EUR"] = Decimal(1)
        for cur, value in per_euro.items():
            if cur != program:
                rates.append(Rate(cur, day, (program_per_euro / value).quantize(_PLACES)))
    if problems:
        raise RatesError(problems)
    if not rates:
        raise RatesError(["the file has no rates"])
    return rates


def _number(value: str) -> bool:
    try:
        return Decimal(value) > 0
    except (InvalidOperation, ValueError):
        return False  # the ECB writes N/A where a currency had no rate that day
