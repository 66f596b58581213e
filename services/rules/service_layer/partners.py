"""Partners who fund points, and what each owes: the monthly settlement.

Every award records who pays for it (its rule's, offer's or challenge's ``funded_by``; a
take-back, the same funder), summed per day in ``award_totals``. A partner's month is the
points its rules awarded less those taken back, at its point value (or the program's); the
program's own is the rest, and the two add up to every point issued that month.
"""

import calendar
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.rules.adapters.challenge_specs import PartnerSpec
from services.rules.adapters.orm import award_totals
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.service_layer.views import cost

Sessions = async_sessionmaker[AsyncSession]


class NotFound(LookupError):
    pass


def month_span(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM`` (ValueError if it is not a month)."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


async def save_partner(sessions: Sessions, spec: PartnerSpec, *, by: str) -> int:
    async with sessions() as session, session.begin():
        return await ProgramRepository(session).save_versioned(spec, by=by)


async def partners(sessions: Sessions) -> list[tuple[PartnerSpec, int]]:
    async with sessions() as session:
        return await ProgramRepository(session).partners_in_force()


async def settlement(
    sessions: Sessions, partner_id: str, month: str, point_value: Decimal
) -> dict[str, Any]:
    """What ``partner_id`` owes for ``month``: per rule, points awarded and taken back; the
        net at its point value; and the month's points by who funds them (every partner's, the
    program's own) beside all the points issued: the ledger's earnings of the month sum to it."""
    first, last = month_span(month)
    async with sessions() as session:
        found = {p.id: p for p, _ in await ProgramRepository(session).partners_in_force()}
        if partner_id not in found:
            raise NotFound(f"no partner {partner_id!r}")
        partner = found[partner_id]
        in_month = award_totals.c.day.between(first, last)
        given = func.sum(case((award_totals.c.points > 0, award_totals.c.points), else_=0))
        taken = func.sum(case((award_totals.c.points < 0, -award_totals.c.points), else_=0))
        rows = await session.execute(
            select(award_totals.c.rule_id, given, taken)
            .where(in_month, award_totals.c.funded_by == partner_id)
            .group_by(award_totals.c.rule_id)
            .order_by(award_totals.c.rule_id)
        )
        by_rule = [
            {"rule_id": r, "awarded": int(g or 0), "taken_back": int(t or 0)} for r, g, t in rows
        ]
        funders = await session.execute(
            select(award_totals.c.funded_by, func.sum(award_totals.c.points))
            .where(in_month)
            .group_by(award_totals.c.funded_by)
        )
        by_funder = {f or "": int(p or 0) for f, p in funders}
    value = partner.point_value or point_value
    net = sum(r["awarded"] - r["taken_back"] for r in by_rule)
    partners_total = sum(p for f, p in by_funder.items() if f)
    return {
        "partner": {
            "id": partner.id,
            "name": partner.name,
            "pays_redemptions": partner.pays_redemptions,
        },
        "month": month,
        "rules": by_rule,
        "points_awarded": sum(r["awarded"] for r in by_rule),
        "points_taken_back": sum(r["taken_back"] for r in by_rule),
        "points_net": net,
        "point_value": str(value),
        "amount": cost(net, value),
        "reconciliation": {
            "partners": partners_total,
            "program": by_funder.get("", 0),
            "issued": sum(by_funder.values()),
        },
    }


def with_ledger(found: dict[str, Any], ledger: dict[str, Any] | None, why: str) -> dict[str, Any]:
    """The settlement beside the ledger's side of the month (``GET
    /v1/admin/report/funded``): the points it booked under the partner's rules, and, when
    the partner pays for its rewards, the points redeemed on them, added to the amount."""
    if ledger is None:
        return found | {"ledger_error": why}
    booked = ledger.get("booked_by_rule", {})
    partner = found["partner"]
    redeemed = int(ledger.get("redeemed_by_funder", {}).get(partner["id"], 0))
    side = {
        "points_booked": sum(int(booked.get(r["rule_id"], 0)) for r in found["rules"]),
        "points_redeemed_on_its_rewards": redeemed,
    }
    if not partner["pays_redemptions"]:
        return found | {"ledger": side}
    value = Decimal(found["point_value"])
    return found | {
        "ledger": side,
        "redemptions_amount": cost(redeemed, value),
        "amount": cost(found["points_net"] + redeemed, value),
    }
