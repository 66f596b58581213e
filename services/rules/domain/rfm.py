"""RFM scores: recency, frequency and monetary value, 1-5 each by quintile across the members
active over the last year (5 is best: most recent, most often, most spent); 0 for a member
with no purchase in that year. Pure."""

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Cutpoints:
    """The four quintile boundaries of each measure, ascending, as the daily pass found them
    among active members (``members``: how many it ranked)."""

    recency: tuple[float, ...] = ()
    frequency: tuple[float, ...] = ()
    monetary: tuple[float, ...] = ()
    members: int = 0


def quintile_cuts(values: Sequence[float]) -> tuple[float, ...]:
    """The 20th, 40th, 60th and 80th percentiles of ``values`` (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return ()
    return tuple(ordered[min(len(ordered) - 1, (len(ordered) * k) // 5)] for k in (1, 2, 3, 4))


def cutpoints(active: Sequence[tuple[int, int, Decimal]]) -> Cutpoints:
    """The boundaries among active members' (recency days, purchases, spend) over a year."""
    return Cutpoints(
        recency=quintile_cuts([float(r) for r, _, _ in active]),
        frequency=quintile_cuts([float(f) for _, f, _ in active]),
        monetary=quintile_cuts([float(m) for _, _, m in active]),
        members=len(active),
    )


def _score(value: float, cuts: tuple[float, ...]) -> int:
    """1 + how many boundaries ``value`` is at or above (1-5)."""
    return 1 + bisect.bisect_right(cuts, value) if cuts else 3


def rfm_scores(
    recency: int, frequency: int, spend: Decimal, cuts: Cutpoints | None
) -> tuple[int, int, int]:
    """(R, F, M): 0 each for a member who bought nothing in the year, 3 each before the first
    daily pass has ranked anyone."""
    if recency < 0 or recency > 365 or frequency <= 0:
        return 0, 0, 0
    if cuts is None or not cuts.members:
        return 3, 3, 3
    # Fewer days since the last purchase is better: count the boundaries strictly below it.
    r = 5 - bisect.bisect_left(cuts.recency, float(recency))
    return max(r, 1), _score(float(frequency), cuts.frequency), _score(float(spend), cuts.monetary)
