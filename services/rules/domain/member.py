"""What the rules know of a member: the facts conditions use, and how much each rule gave."""

import calendar
import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from services.rules.domain.audiences import OfferHolding
from services.rules.domain.challenges import Progress
from services.rules.domain.rfm import Cutpoints, rfm_scores

WINDOWS = (30, 90, 365)  # days over which frequency and spend are facts


def celebration_days(day: date) -> set[str]:
    """The ``MM-DD`` dates celebrated on ``day``: 29 February falls on the 28th in other years."""
    days = {day.strftime("%m-%d")}
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.add("02-29")
    return days


def _days_since(then: datetime | None, moment: datetime) -> int:
    return (moment - then).days if then is not None else -1


def month_key(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def _last_12_months(moment: datetime) -> frozenset[str]:
    return _twelve_months_to(moment.year, moment.month)


@functools.lru_cache(maxsize=64)
def _twelve_months_to(year: int, month: int) -> frozenset[str]:
    """The ``YYYY-MM`` keys of the twelve months ending with this one (asked for on every
    event, for a handful of distinct months)."""
    months = set()
    for _ in range(12):
        months.add(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return frozenset(months)


@dataclass(slots=True)
class RuleUsage:
    day: str = ""
    day_points: int = 0
    month: str = ""
    month_points: int = 0
    total_points: int = 0
    years: list[int] = field(default_factory=list)  # years in which it awarded


@dataclass(slots=True)
class MemberState:
    member_id: str
    enrolled_at: datetime | None = None
    birthday: date | None = None
    language: str = "en"
    timezone: str = "UTC"
    tier: str = "base"
    purchases_total: int = 0
    purchases_by_month: dict[str, int] = field(default_factory=dict)
    spend_by_month: dict[str, str] = field(default_factory=dict)  # month -> Decimal as str
    points_by_month: dict[str, int] = field(default_factory=dict)  # qualifying points
    categories_bought: list[str] = field(default_factory=list)
    last_purchase_at: datetime | None = None
    referrals: int = 0
    complaints_resolved: int = 0
    usage: dict[str, RuleUsage] = field(default_factory=dict)
    # Purchases per day ("YYYY-MM-DD" -> [count, amount as str]) over the last year: the
    # frequency and spend windows audiences read.
    daily: dict[str, list[Any]] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)  # purchases per channel
    nps_score: int | None = None  # the latest NPS answer, 0-10
    attributes: dict[str, Any] = field(default_factory=dict)  # the sender's own profile fields
    audiences: dict[str, str] = field(default_factory=dict)  # audience id -> entered (ISO)
    offers: dict[str, OfferHolding] = field(default_factory=dict)
    challenges: dict[str, Progress] = field(default_factory=dict)
    badges: dict[str, str] = field(default_factory=dict)  # badge id -> earned (ISO)
    # The loyalty ladder: complaints not yet resolved, the last review and referral, and the
    # stage the member stands on (with since when).
    open_complaints: list[str] = field(default_factory=list)
    last_review_at: datetime | None = None
    last_referral_at: datetime | None = None
    stage: str = ""
    stage_since: str = ""
    version: int = 0

    def bought(self, moment: datetime, amount: Decimal) -> None:
        """A purchase on ``moment``'s day; days older than a year are forgotten."""
        day = moment.date().isoformat()
        count, spent = self.daily.get(day, (0, "0"))
        self.daily[day] = [count + 1, str(Decimal(spent) + amount)]
        oldest = (moment.date() - timedelta(days=WINDOWS[-1])).isoformat()
        for old in [d for d in self.daily if d < oldest]:
            del self.daily[old]

    def windows(self, moment: datetime) -> dict[int, tuple[int, Decimal]]:
        """Purchases and spend over each of :data:`WINDOWS` (days ending with ``moment``'s
        day), in one pass over the days."""
        today = moment.date()
        starts = [(days, (today - timedelta(days=days - 1)).isoformat()) for days in WINDOWS]
        counts = dict.fromkeys(WINDOWS, 0)
        spent = {days: Decimal(0) for days in WINDOWS}
        for day, (n, amount) in self.daily.items():
            value = None
            for days, since in starts:
                if day >= since:
                    value = Decimal(amount) if value is None else value
                    counts[days] += n
                    spent[days] += value
        return {days: (counts[days], spent[days]) for days in WINDOWS}

    def nps_group(self) -> str:
        if self.nps_score is None:
            return ""
        return (
            "promoter" if self.nps_score >= 9 else "passive" if self.nps_score >= 7 else "detractor"
        )

    def spend(self, moment: datetime, amount: Decimal) -> None:
        key = month_key(moment)
        self.spend_by_month[key] = str(Decimal(self.spend_by_month.get(key, "0")) + amount)

    def spend_12m(self, moment: datetime) -> Decimal:
        months = _last_12_months(moment)
        return sum((Decimal(v) for k, v in self.spend_by_month.items() if k in months), Decimal(0))

    def qualifying_points_12m(self, moment: datetime) -> int:
        months = _last_12_months(moment)
        return sum(v for k, v in self.points_by_month.items() if k in months)

    def facts(self, moment: datetime, cuts: Cutpoints | None = None) -> dict[str, Any]:
        """The ``member`` of rule conditions and audiences, as of ``moment`` (the current
        event included); RFM scores by the program's quintile ``cuts`` (none yet: 0)."""
        tenure = (moment - self.enrolled_at).days if self.enrolled_at else 0
        birthday = self.birthday
        recency = (moment - self.last_purchase_at).days if self.last_purchase_at else -1
        windows = self.windows(moment)
        year_count, year_spend = windows[365]
        r, f, m = rfm_scores(recency, year_count, year_spend, cuts)
        return {
            "id": self.member_id,
            "tier": self.tier,
            "language": self.language,
            "enrolled": self.enrolled_at is not None,
            "tenure_days": tenure,
            "purchases_total": self.purchases_total,
            "purchases_this_month": self.purchases_by_month.get(month_key(moment), 0),
            "spend_12m": float(self.spend_12m(moment)),
            "qualifying_points_12m": self.qualifying_points_12m(moment),
            "categories_bought": list(self.categories_bought),
            "days_since_last_purchase": recency,
            "referrals": self.referrals,
            "complaints_resolved": self.complaints_resolved,
            "birthday_today": birthday is not None
            and (birthday.month, birthday.day) == (moment.month, moment.day),
            **{f"purchases_{days}d": windows[days][0] for days in WINDOWS},
            **{f"spend_{days}d": float(windows[days][1]) for days in WINDOWS},
            "avg_basket_365d": float(year_spend / year_count) if year_count else 0.0,
            "channels": dict(self.channels),
            "nps_score": -1 if self.nps_score is None else self.nps_score,
            "nps_group": self.nps_group(),
            "attributes": dict(self.attributes),
            "audiences": sorted(self.audiences),
            "rfm": {"r": r, "f": f, "m": m},
            "complaints_open": len(self.open_complaints),
            "days_since_last_review": _days_since(self.last_review_at, moment),
            "days_since_last_referral": _days_since(self.last_referral_at, moment),
            "badges": sorted(self.badges),
            "stage": self.stage,
        }

    # -- caps ------------------------------------------------------------------------------
    def allowed(
        self,
        rule_id: str,
        points: int,
        moment: datetime,
        *,
        per_day: int | None,
        per_month: int | None,
        once: bool,
        once_per_year: bool,
        in_total: int | None = None,
    ) -> int:
        """How many of ``points`` the rule's per-member caps still allow."""
        used = self.usage.get(rule_id, RuleUsage())
        if (once and used.total_points > 0) or (once_per_year and moment.year in used.years):
            return 0
        if per_day is not None:
            today = used.day_points if used.day == moment.date().isoformat() else 0
            points = min(points, max(per_day - today, 0))
        if in_total is not None:
            points = min(points, max(in_total - used.total_points, 0))
        if per_month is not None:
            this_month = used.month_points if used.month == month_key(moment) else 0
            points = min(points, max(per_month - this_month, 0))
        return points

    def record_award(self, rule_id: str, points: int, moment: datetime) -> None:
        used = self.usage.setdefault(rule_id, RuleUsage())
        day, month = moment.date().isoformat(), month_key(moment)
        used.day_points = (used.day_points if used.day == day else 0) + points
        used.month_points = (used.month_points if used.month == month else 0) + points
        used.day, used.month = day, month
        used.total_points += points
        if moment.year not in used.years:
            used.years.append(moment.year)
        self.points_by_month[month] = self.points_by_month.get(month, 0) + points
