"""The program's exchange rates over HTTP (admin scope): read them, set or correct some, or load
a CSV of a central bank's daily reference rates. Rates are never deleted: a purchase that
ingest took because its currency had a rate keeps one."""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, BeforeValidator, Field, JsonValue

from services.rules.adapters.rates import (
    RatesError,
    checked_rate,
    list_rates,
    rates_from_csv,
)
from services.rules.domain.exchange import MAX_RATE_AGE, Rate
from services.rules.entrypoints.context import RulesDep
from services.rules.service_layer.conversion import set_exchange_rates
from shared.auth import SCOPE_ADMIN
from shared.callers import Caller, scoped
from shared.contracts.currencies import CURRENCIES
from shared.contracts.numbers import DecimalText, positive_pattern
from shared.http import problem

router = APIRouter(
    prefix="/v1", tags=["exchange rates"], dependencies=[Depends(scoped(SCOPE_ADMIN))]
)
MAX_CSV_BYTES = 5_000_000  # the ECB's whole history since 1999 is about 1.5 MB


def _day(value: object) -> object:
    """A day as the schema says (format: date, YYYY-MM-DD), not a number of any kind."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{value!r} is not a day (YYYY-MM-DD)")
    return value


Day = Annotated[date, BeforeValidator(_day)]


class RateIn(BaseModel):
    currency: str = Field(
        pattern=r"^[A-Z]{3}$",
        examples=["SEK"],
        json_schema_extra={"enum": list[JsonValue](sorted(CURRENCIES))},
    )
    day: Day
    rate: DecimalText(  # type: ignore[valid-type]
        positive_pattern(12, 10),
        gt=Decimal(0),
        lt=Decimal("1E12"),
        description="the program's currency per unit",
    )


class RatesIn(BaseModel):
    rates: list[RateIn] = Field(min_length=1, max_length=10_000)


class RatesSet(BaseModel):
    program_currency: str
    set: int


@router.get("/exchange-rates")
async def read_rates(
    rules: RulesDep,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    first: Annotated[Day | None, Query(alias="from")] = None,
    last: Annotated[Day | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """The rates, newest day first (at most 5,000): the program's currency for one unit of
    each. A purchase uses its currency's newest rate dated on or before its day (UTC), up to
    seven days old."""
    async with rules.sessions() as session:
        found = await list_rates(session, currency=currency, first=first, last=last)
    return {
        "program_currency": rules.settings.currency,
        "max_rate_age_days": MAX_RATE_AGE.days,
        "rates": found,
    }


@router.put("/exchange-rates", response_model=RatesSet)
async def put_rates(body: Annotated[RatesIn, Body()], principal: Caller, rules: RulesDep) -> Any:
    """Set rates, or correct those of the same currency and day; all or none."""
    program = rules.settings.currency
    rates, errors = [], []
    for index, r in enumerate(body.rates):
        try:
            rates.append(checked_rate(r.currency, r.day, r.rate, program))
        except RatesError as exc:
            errors += [{"loc": ["body", "rates", index], "msg": p} for p in exc.problems]
    if errors:
        return problem(422, "Invalid rates", "no rate was set: fix these and resend", errors=errors)
    return await _save(rates, principal.name, rules)


@router.post(
    "/exchange-rates/csv",
    response_model=RatesSet,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def load_rates_csv(request: Request, principal: Caller, rules: RulesDep) -> Any:
    """Load a CSV: ``currency,day,rate`` lines (the program's currency per unit), or a central
    bank's daily reference rates in the European Central Bank's layout (``Date,USD,...``, units
    per euro: cross rates through the euro). All lines or none."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        return problem(413, "Payload too large", f"a rates file is at most {MAX_CSV_BYTES} bytes")
    try:
        rates = rates_from_csv(body.decode("utf-8-sig"), rules.settings.currency)
    except UnicodeDecodeError:
        return problem(422, "Invalid rates", "the file is not UTF-8 text")
    except RatesError as exc:
        errors = [{"loc": ["body"], "msg": p} for p in exc.problems[:100]]
        return problem(422, "Invalid rates", "no rate was set: fix these and resend", errors=errors)
    return await _save(rates, principal.name, rules)


async def _save(rates: list[Rate], by: str, rules: RulesDep) -> Response | RatesSet:
    await set_exchange_rates(rates, by=by, uow=rules.uow())
    return RatesSet(program_currency=rules.settings.currency, set=len(rates))
