"""The seeds' measures of loyalty, from the data the rules own, over a period: NPS from members'
answers, engagement (active members who did something besides buying), repeat purchases,
breadth (in how many product categories members buy) and an estimated customer lifetime value
per tier. And the program's figures over time, a day or a week at a time, for the console's
charts."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from services.rules.adapters.orm import activities, award_totals, member_states, purchases
from shared.periods import Bucket, as_day, bucket_of, buckets

CENT = Decimal("0.01")
# Members who buy again next period, at most: beyond it the expected lifetime (1 / (1 - r))
# would grow without bound on a small sample.
MAX_RETENTION = 0.95
CLV_FORMULA = (
    "CLV = average basket * purchases per active member in the period * expected lifetime "
    "in periods, where expected lifetime = 1 / (1 - retention) and retention is the share of "
    "the tier's buyers in the period before who bought again in this one (at most 0.95)"
)


async def loyalty_measures(
    session: AsyncSession, *, start: datetime, end: datetime, currency: str
) -> dict[str, Any]:
    return {
        "nps": await _nps(session, start, end),
        "engagement": await _engagement(session, start, end),
        "category_breadth": await _breadth(session),
        "clv_by_tier": await _clv_by_tier(session, start, end, currency),
        "clv_formula": CLV_FORMULA,
    }


async def _nps(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
    """Net Promoter Score: promoters (9-10) less detractors (0-6), as a share of answers."""
    score = activities.c.score
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((score >= 9, 1), else_=0)), 0),
                func.coalesce(func.sum(case((score <= 6, 1), else_=0)), 0),
            ).where(
                activities.c.activity == "nps_answer",
                score.is_not(None),
                activities.c.occurred_at.between(start, end),
            )
        )
    ).one()
    answers, promoters, detractors = (int(v) for v in row)
    return {
        "score": round(100 * (promoters - detractors) / answers) if answers else None,
        "answers": answers,
        "promoters": promoters,
        "passives": answers - promoters - detractors,
        "detractors": detractors,
    }


async def _engagement(session: AsyncSession, start: datetime, end: datetime) -> dict[str, Any]:
    """Active members (who bought or did anything in the period) and the share of them who did
    something besides buying (a review, a survey, app use, a social share ...)."""
    active = union(
        select(purchases.c.member_id).where(purchases.c.occurred_at.between(start, end)),
        select(activities.c.member_id).where(activities.c.occurred_at.between(start, end)),
    ).subquery()
    members = int(await session.scalar(select(func.count()).select_from(active)) or 0)
    engaged = int(
        await session.scalar(
            select(func.count(distinct(activities.c.member_id))).where(
                activities.c.occurred_at.between(start, end)
            )
        )
        or 0
    )
    return {
        "active_members": members,
        "engaged_members": engaged,
        "rate": engaged / members if members else 0.0,
    }


async def _breadth(session: AsyncSession) -> dict[str, int]:
    """Members by the number of product categories they have bought in (ever)."""
    rows = await session.execute(
        select(member_states.c.categories, func.count())
        .where(member_states.c.categories > 0)
        .group_by(member_states.c.categories)
    )
    found = {"1": 0, "2": 0, "3+": 0}
    for categories, n in rows:
        found["3+" if categories >= 3 else str(categories)] += int(n)
    return found


async def _clv_by_tier(
    session: AsyncSession, start: datetime, end: datetime, currency: str
) -> list[dict[str, Any]]:
    length = end - start
    this = await _buyers_by_tier(session, start, end, currency)
    before = await _buyers_by_tier(session, start - length, start, currency)
    found = []
    for tier in sorted(this):
        buyers, count, revenue = this[tier]
        earlier = before.get(tier, (set(), 0, Decimal(0)))[0]
        retention = min(len(earlier & buyers) / len(earlier), MAX_RETENTION) if earlier else None
        basket = revenue / count if count else Decimal(0)
        frequency = count / len(buyers) if buyers else 0.0
        lifetime = 1 / (1 - retention) if retention is not None else 1.0
        found.append(
            {
                "tier": tier,
                "active_members": len(buyers),
                "average_basket": str(basket.quantize(CENT)),
                "purchases_per_member": round(frequency, 2),
                "retention": round(retention, 3) if retention is not None else None,
                "expected_lifetime_periods": round(lifetime, 2),
                "clv": str((basket * Decimal(frequency) * Decimal(lifetime)).quantize(CENT)),
            }
        )
    return found


async def _buyers_by_tier(
    session: AsyncSession, start: datetime, end: datetime, currency: str
) -> dict[str, tuple[set[str], int, Decimal]]:
    """Per tier (the member's current one): who bought, how often, for how much."""
    rows = await session.execute(
        select(
            func.coalesce(member_states.c.tier, "base").label("tier"),
            purchases.c.member_id,
            func.count().label("n"),
            func.coalesce(func.sum(purchases.c.paid), 0).label("paid"),
        )
        .select_from(
            purchases.outerjoin(member_states, member_states.c.member_id == purchases.c.member_id)
        )
        .where(
            purchases.c.occurred_at >= start,
            purchases.c.occurred_at < end,
            purchases.c.currency == currency,
        )
        .group_by("tier", purchases.c.member_id)
    )
    found: dict[str, tuple[set[str], int, Decimal]] = {}
    for row in rows:
        buyers, count, revenue = found.get(row.tier, (set(), 0, Decimal(0)))
        buyers.add(row.member_id)
        found[row.tier] = (buyers, count + int(row.n), revenue + Decimal(row.paid))
    return found


async def program_series(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    currency: str,
    bucket: Bucket,
) -> list[dict[str, Any]]:
    """Per day or week (weeks start on Monday): purchases, revenue, buyers new to the program
    and returning (and the returning share), and points awarded by driver."""
    first = (
        select(purchases.c.member_id, func.min(purchases.c.occurred_at).label("first"))
        .group_by(purchases.c.member_id)
        .subquery()
    )
    day = func.date(purchases.c.occurred_at)
    rows = await session.execute(
        select(
            day.label("day"),
            purchases.c.member_id,
            func.count().label("n"),
            func.coalesce(func.sum(purchases.c.paid), 0).label("paid"),
            func.date(first.c.first).label("first_day"),
        )
        .join(first, first.c.member_id == purchases.c.member_id)
        .where(and_(purchases.c.occurred_at.between(start, end), purchases.c.currency == currency))
        .group_by(day, purchases.c.member_id, func.date(first.c.first))
    )
    by_bucket: dict[date, dict[str, Any]] = {}

    def at(value: object) -> dict[str, Any]:
        key = bucket_of(as_day(value), bucket)
        return by_bucket.setdefault(
            key,
            {"purchases": 0, "revenue": Decimal(0), "new": set(), "returning": set(), "points": {}},
        )

    for row in rows:
        figures = at(row.day)
        figures["purchases"] += int(row.n)
        figures["revenue"] += Decimal(row.paid)
        new = bucket_of(as_day(row.first_day), bucket) == bucket_of(as_day(row.day), bucket)
        figures["new" if new else "returning"].add(row.member_id)
    points = await session.execute(
        select(award_totals.c.day, award_totals.c.driver, func.sum(award_totals.c.points))
        .where(
            award_totals.c.day.between(start.date(), end.date()),
            award_totals.c.driver.is_not(None),
        )
        .group_by(award_totals.c.day, award_totals.c.driver)
    )
    for when, driver, total in points:
        by_driver = at(when)["points"]
        by_driver[driver] = by_driver.get(driver, 0) + int(total)
    series = []
    for cursor in buckets(start, end, bucket):
        figures = by_bucket.get(cursor) or at(cursor)
        first_time, returning = len(figures["new"]), len(figures["returning"])
        buyers = first_time + returning
        series.append(
            {
                "from": cursor.isoformat(),
                "purchases": figures["purchases"],
                "revenue": str(figures["revenue"].quantize(CENT)),
                "new_buyers": first_time,
                "returning_buyers": returning,
                "returning_share": returning / buyers if buyers else 0.0,
                "points_by_driver": dict(sorted(figures["points"].items())),
            }
        )
    return series
