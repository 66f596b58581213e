"""Purchases in another currency than the program's, counted in the program's at the rate of
their day: one query for a chunk's rates; a purchase with no rate is refused. And the rates
as an admin sets them."""

import dataclasses
from collections.abc import MutableMapping, Sequence
from datetime import UTC, datetime

from services.rules.domain.exchange import (
    AmountTooLarge,
    NoRate,
    Rate,
    no_rate,
    purchase_day,
    rate_for,
    rates_needed,
    to_program_currency,
)
from services.rules.domain.model import LoyaltyEvent
from services.rules.service_layer.unit_of_work import UnitOfWork
from shared.contracts.currencies import MAX_AMOUNT


async def in_program_currency(
    events: list[LoyaltyEvent],
    uow: UnitOfWork,
    currency: str,
    rejected: MutableMapping[int, Exception],
) -> list[LoyaltyEvent]:
    """The events with every purchase's amounts in the program's ``currency``, at the rate of
    its day (one query for the chunk's rates); a purchase with no rate is refused."""
    spans = rates_needed(
        ((e.purchase.currency, purchase_day(e.occurred_at)) for e in events if e.purchase),
        currency,
    )
    if not spans:
        return events
    rates = await uow.rates.exchange_rates(spans)
    converted = list(events)
    for index, event in enumerate(events):
        purchase = event.purchase
        if purchase is None or purchase.currency == currency:
            continue
        day = purchase_day(event.occurred_at)
        rate = rate_for(rates, purchase.currency, day)
        try:
            if rate is None:
                raise no_rate(purchase.currency, day, currency)
            purchase = to_program_currency(purchase, rate, currency, most=MAX_AMOUNT)
        except (NoRate, AmountTooLarge) as exc:
            rejected[index] = exc
            continue
        converted[index] = dataclasses.replace(event, purchase=purchase)
    return converted


async def set_exchange_rates(rates: Sequence[Rate], *, by: str, uow: UnitOfWork) -> None:
    """Add rates, or correct those of the same currency and day (who set them is kept)."""
    async with uow:
        await uow.rates.set_rates(rates, by=by, at=datetime.now(UTC))
        await uow.commit()
