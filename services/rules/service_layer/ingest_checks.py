"""What the rules would refuse of an event, refused at ingest instead (a 422 naming the
field), so that nothing the API accepts is dead-lettered later for a reason it could check:
a return of no purchase of the member's, a purchase in a currency without a rate; and what a
partner's key may not post."""

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.challenge_specs import PartnerSpec
from services.rules.adapters.rates import rates_within
from services.rules.domain.exchange import (
    convert,
    no_rate,
    purchase_day,
    rate_for,
    rates_needed,
    too_large,
)
from services.rules.service_layer import views
from shared.contracts.currencies import MAX_AMOUNT
from shared.contracts.envelope import CloudEvent, event_key


async def returns_not_taken(
    events: list[CloudEvent], sessions: async_sessionmaker[AsyncSession]
) -> list[dict[str, Any]]:
    """A return must refer to a purchase of the same member, already recorded or in this
    batch, in the purchase's currency: what the rules would refuse, refused here."""
    in_batch = {
        e.key: (e.subject, str(e.data.get("currency")))
        for e in events
        if e.type == "purchase.completed"
    }
    returns = [
        (
            i,
            str(e.data["original_event_id"]),
            event_key(
                str(e.data.get("original_source") or e.source), str(e.data["original_event_id"])
            ),
            e.subject,
            str(e.data.get("currency")),
        )
        for i, e in enumerate(events)
        if e.type == "purchase.returned"
    ]
    if not returns:
        return []
    # A purchase recorded before events were keyed on source + id is known by its bare id.
    wanted = [k for r in returns for k in r[1:3] if r[2] not in in_batch]
    seen = dict(in_batch)
    if wanted:
        async with sessions() as session:
            seen |= await views.purchases_seen(session, wanted)
    errors = []
    for i, original, key, member, currency in returns:
        found = seen.get(key) or seen.get(original)
        owner, paid_in = found if found is not None else (None, None)
        if owner != member:
            loc, msg = ["data", "original_event_id"], f"no purchase {original!r} of this member"
        elif currency != paid_in:
            loc, msg = (
                ["data", "currency"],
                f"the return is in {currency}, the purchase in {paid_in}",
            )
        else:
            continue
        errors.append({"index": i, "errors": [{"loc": loc, "msg": msg}]})
    return errors


async def amounts_not_countable(
    events: list[CloudEvent], sessions: async_sessionmaker[AsyncSession], program: str
) -> list[dict[str, Any]]:
    """A purchase in another currency than the program's needs a rate for its day, and must
    not be larger than pointstream takes once converted: what the rules would refuse, refused
    here (one query for the batch's rates)."""
    now = datetime.now(UTC)
    foreign = [
        # (an event dated after it arrives counts from its arrival, as the consumer has it)
        (i, e, str(e.data["currency"]), purchase_day(min(e.time, now)))
        for i, e in enumerate(events)
        if e.type == "purchase.completed" and e.data.get("currency") != program
    ]
    if not foreign:
        return []
    spans = rates_needed(((currency, day) for _, _, currency, day in foreign), program)
    async with sessions() as session:
        rates = await rates_within(session, spans)
    errors = []
    for i, e, currency, day in foreign:
        rate = rate_for(rates, currency, day)
        if rate is None:
            loc, msg = ["data", "currency"], str(no_rate(currency, day, program))
        elif (counted := convert(total := Decimal(str(e.data["total"])), rate.rate)) > MAX_AMOUNT:
            loc = ["data", "total"]
            msg = too_large(total, currency, counted, program, MAX_AMOUNT)
        else:
            continue
        errors.append({"index": i, "errors": [{"loc": loc, "msg": msg}]})
    return errors


PARTNER_SOURCE = "partners/"


def partners_own(events: Sequence[CloudEvent], partner: PartnerSpec | None) -> list[dict[str, Any]]:
    """A partner's key posts only its own event types, from its own source (``partners/<id>``,
    or below it); and only a partner's key posts from a partner's source."""
    errors = []
    for index, event in enumerate(events):
        source = event.source
        if partner is None:
            if source.startswith(PARTNER_SOURCE):
                owner = source[len(PARTNER_SOURCE) :].split("/")[0]
                why = f"the source {source} is partner {owner}'s: post it with that partner's key"
                errors.append({"index": index, "errors": [{"loc": ["source"], "msg": why}]})
            continue
        own = f"{PARTNER_SOURCE}{partner.id}"
        if source != own and not source.startswith(own + "/"):
            why = f"a partner's events come from its own source: {own} (or {own}/...)"
            errors.append({"index": index, "errors": [{"loc": ["source"], "msg": why}]})
        elif event.type not in partner.events:
            why = f"partner {partner.id} may post {', '.join(partner.events)}, not {event.type}"
            errors.append({"index": index, "errors": [{"loc": ["type"], "msg": why}]})
    return errors
