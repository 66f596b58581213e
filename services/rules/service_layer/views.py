"""What the rules' routes read: the purchases a return may refer to, and the program report's
figures from the rules' own tables (seeds: profitability, measuring loyalty): members,
purchases, and points by driver, rule and campaign, over a period."""

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import award_totals, member_states, purchases
from services.rules.adapters.program_repository import ProgramRepository
from services.rules.service_layer.measures import loyalty_measures

CENT = Decimal("0.01")


async def purchases_seen(
    session: AsyncSession, event_ids: Collection[str]
) -> dict[str, tuple[str, str]]:
    """Of these purchase ids, those the rules have recorded: their member and currency."""
    rows = await session.execute(
        select(purchases.c.event_id, purchases.c.member_id, purchases.c.record).where(
            purchases.c.event_id.in_(list(event_ids))
        )
    )
    return {r.event_id: (r.member_id, r.record["currency"]) for r in rows}


def cost(points: int, point_value: Decimal) -> str:
    """What ``points`` cost the program, to the cent."""
    return str((points * point_value).quantize(CENT))


async def program_figures(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    currency: str,
    point_value: Decimal,
) -> dict[str, Any]:
    in_period = purchases.c.occurred_at.between(start, end)
    per_member = (
        select(purchases.c.member_id, func.count().label("n"))
        .where(in_period)
        .group_by(purchases.c.member_id)
        .subquery()
    )
    active, repeat = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((per_member.c.n >= 2, 1), else_=0)), 0),
            ).select_from(per_member)
        )
    ).one()
    count, revenue = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(purchases.c.paid), 0)).where(
                in_period, purchases.c.currency == currency
            )
        )
    ).one()
    other = await session.scalar(
        select(func.count()).where(in_period, purchases.c.currency != currency)
    )
    # version 0: a row seeded for a chunk whose events for the member were all refused
    known = await session.scalar(
        select(func.count()).select_from(member_states).where(member_states.c.version > 0)
    )

    specs = {spec.id: spec for spec, _ in await ProgramRepository(session).rules_in_force()}
    totals = award_totals.c
    rows = await session.execute(
        select(totals.rule_id, totals.driver, func.sum(totals.points).label("points"))
        .where(totals.day.between(start.date(), end.date()))
        .group_by(totals.rule_id, totals.driver)
    )
    by_rule: dict[str, int] = defaultdict(int)
    drivers: dict[str, str] = {}
    awarded = revoked = 0
    for row in rows:
        points = int(row.points)
        by_rule[row.rule_id] += points
        if row.driver is not None:
            drivers[row.rule_id] = row.driver
            awarded += points
        else:
            revoked -= points
    for rule_id in by_rule:  # a rule only taken back from in the period: its spec's driver
        if rule_id not in drivers:
            spec = specs.get(rule_id)
            drivers[rule_id] = str(spec.driver) if spec is not None else "unknown"
    by_driver: dict[str, int] = defaultdict(int)
    for rule_id, points in by_rule.items():
        by_driver[drivers[rule_id]] += points

    def is_campaign(rule_id: str) -> bool:
        spec = specs.get(rule_id)
        return spec is not None and (
            spec.active_from is not None or spec.active_until is not None or bool(spec.funded_by)
        )

    ranked = sorted(by_rule.items(), key=lambda item: -item[1])
    revenue = Decimal(revenue)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "currency": currency,
        "point_value": str(point_value),
        "members": {
            "known": int(known or 0),
            "active": int(active),
            "repeat_purchase_rate": (int(repeat) / int(active)) if active else 0.0,
        },
        "purchases": {
            "count": int(count),
            "revenue": str(revenue.quantize(CENT)),
            "average_basket": str((revenue / count).quantize(CENT) if count else Decimal(0)),
            "per_active_member": (int(count) / int(active)) if active else 0.0,
            "in_other_currencies": int(other or 0),
        },
        "loyalty": await loyalty_measures(session, start=start, end=end, currency=currency),
        "points": {
            "awarded": awarded,
            "revoked": revoked,
            "net": awarded - revoked,
            "cost": cost(awarded - revoked, point_value),
            "by_driver": {
                d: {"points": p, "cost": cost(p, point_value)} for d, p in sorted(by_driver.items())
            },
            "by_rule": [
                {"rule_id": r, "driver": drivers[r], "points": p, "cost": cost(p, point_value)}
                for r, p in ranked
            ],
            "by_campaign": [
                {
                    "rule_id": r,
                    "funded_by": specs[r].funded_by,
                    "points": p,
                    "cost": cost(p, point_value),
                }
                for r, p in ranked
                if is_campaign(r)
            ],
        },
    }
