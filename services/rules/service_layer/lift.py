"""Did an offer work? Treated against control over the offer's window, with 95 % confidence
intervals: a two-proportion z interval for shares, Welch's t interval for means."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


def _stats() -> Any:
    """scipy's distributions, imported when a report asks (not in every rules process: it
    weighs ~70 MB)."""
    from scipy import stats

    return stats


@dataclass(frozen=True, slots=True)
class MemberOutcome:
    """One member's figures over the window."""

    group: str
    purchases: int
    spend: Decimal
    points: int

    @property
    def bought(self) -> bool:
        return self.purchases > 0


def share_difference(hits: tuple[int, int], sizes: tuple[int, int]) -> dict[str, Any]:
    """Treated share minus control share, its 95 % interval, and the two-sided p-value."""
    (x1, x2), (n1, n2) = hits, sizes
    if not n1 or not n2:
        return {"difference": None, "low": None, "high": None, "p_value": None}
    p1, p2 = x1 / n1, x2 / n2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se0 == 0 else float(2 * _stats().norm.sf(abs(p1 - p2) / se0))
    return {
        "difference": p1 - p2,
        "low": p1 - p2 - Z95 * se,
        "high": p1 - p2 + Z95 * se,
        "p_value": p_value,
    }


def mean_difference(treated: Sequence[float], control: Sequence[float]) -> dict[str, Any]:
    """Welch's t: the treated mean minus the control mean, its 95 % interval and p-value."""
    n1, n2 = len(treated), len(control)
    if n1 < 2 or n2 < 2:
        diff = (sum(treated) / n1 - sum(control) / n2) if n1 and n2 else None
        return {"difference": diff, "low": None, "high": None, "p_value": None}
    m1, m2 = sum(treated) / n1, sum(control) / n2
    v1 = sum((x - m1) ** 2 for x in treated) / (n1 - 1)
    v2 = sum((x - m2) ** 2 for x in control) / (n2 - 1)
    se2 = v1 / n1 + v2 / n2
    if se2 == 0:
        return {"difference": m1 - m2, "low": m1 - m2, "high": m1 - m2, "p_value": None}
    df = se2**2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    half = float(_stats().t.ppf(0.975, df)) * math.sqrt(se2)
    p_value = float(2 * _stats().t.sf(abs(m1 - m2) / math.sqrt(se2), df))
    return {
        "difference": m1 - m2,
        "low": m1 - m2 - half,
        "high": m1 - m2 + half,
        "p_value": p_value,
    }


def lift_report(
    outcomes: Sequence[MemberOutcome], *, since: datetime | None, until: datetime
) -> dict[str, Any]:
    """Each group's figures per member, and treated minus control with 95 % intervals."""
    groups: dict[str, list[MemberOutcome]] = {"treated": [], "control": []}
    for outcome in outcomes:
        groups.setdefault(outcome.group, []).append(outcome)
    figures = {}
    for name, members in groups.items():
        n = len(members)
        figures[name] = {
            "members": n,
            "bought": sum(1 for m in members if m.bought),
            "repeat_purchase_share": (sum(1 for m in members if m.bought) / n) if n else None,
            "purchases_per_member": (sum(m.purchases for m in members) / n) if n else None,
            "spend_per_member": float(sum((m.spend for m in members), Decimal(0)) / n)
            if n
            else None,
            "points_per_member": (sum(m.points for m in members) / n) if n else None,
            "points": sum(m.points for m in members),
        }
    t, c = groups["treated"], groups["control"]
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat(),
        "groups": figures,
        "lift": {
            "repeat_purchase_share": share_difference(
                (sum(1 for m in t if m.bought), sum(1 for m in c if m.bought)), (len(t), len(c))
            ),
            "purchases_per_member": mean_difference(
                [m.purchases for m in t], [m.purchases for m in c]
            ),
            "spend_per_member": mean_difference(
                [float(m.spend) for m in t], [float(m.spend) for m in c]
            ),
            "points_per_member": mean_difference([m.points for m in t], [m.points for m in c]),
        },
    }
