"""Report periods: whole UTC days, and points in time a day or a week (from Monday) apart."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import Query

Bucket = Literal["day", "week"]
# The report routes' query parameters.
Days = Annotated[int, Query(ge=1, le=3660, description="this many UTC days, today included")]
BucketQuery = Annotated[Bucket, Query(description="a point per day, or per week (from Monday)")]


def period(days: int) -> tuple[datetime, datetime]:
    """Whole UTC days: today and the ``days - 1`` before it."""
    end = datetime.now(UTC)
    return datetime.combine(end.date() - timedelta(days=days - 1), time.min, tzinfo=UTC), end


def bucket_of(day: date, bucket: Bucket) -> date:
    return day if bucket == "day" else day - timedelta(days=day.weekday())


def buckets(start: datetime, end: datetime, bucket: Bucket) -> Iterator[date]:
    """The first day of each bucket from ``start`` to ``end``."""
    cursor = bucket_of(start.date(), bucket)
    step = timedelta(days=1 if bucket == "day" else 7)
    while cursor <= end.date():
        yield cursor
        cursor += step


def as_day(value: object) -> date:
    """A day as a database returns it: a date, a datetime, or ISO text (SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
