"""Challenges and badges: goals a member reaches step by step, rewarded once. Pure.

A **challenge** counts a member's events towards a goal — purchases in so many weeks in a row,
so many different categories, so many events that meet a condition (a basket with an organic
product, a review after a purchase) — within a window: the challenge's dates, or a number of
days from the member's first step (rolling). When the goal is reached, the member earns its
reward once: points, a badge, a catalogue reward (a voucher, free), or any of them together.

Progress is part of the member's state in the rules service, so it is kept exactly once with
the event that made it (a redelivered event is never counted twice; a crash loses nothing).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

CHALLENGE_RULE_PREFIX = "challenge:"  # its points are booked under rule id "challenge:<id>"


class Goal(StrEnum):
    COUNT = "count"  # events that meet the condition
    WEEKS_IN_A_ROW = "weeks_in_a_row"  # distinct calendar weeks with a step, none skipped
    CATEGORIES = "categories"  # different product categories bought


@dataclass(frozen=True, slots=True)
class Badge:
    badge_id: str
    name: Mapping[str, str]  # language -> name
    icon: str = "★"


@dataclass(frozen=True, slots=True)
class Challenge:
    challenge_id: str
    version: int
    name: Mapping[str, str]  # language -> what the member reads
    goal: Goal
    target: int
    description: Mapping[str, str] = field(default_factory=dict)
    event_types: tuple[str, ...] = ("purchase.completed",)
    condition: str = "true"  # CEL over the event's facts, as a rule's
    active_from: datetime | None = None
    active_until: datetime | None = None
    rolling_days: int | None = None  # the window starts with each member's first step
    audience: str | None = None
    points: int = 0
    badge: Badge | None = None
    reward_id: str | None = None  # a catalogue reward, given free (a voucher) once
    nudge: bool = False  # a message when one step is left
    funded_by: str | None = None  # a partner paying for its points
    enabled: bool = True

    @property
    def rule_id(self) -> str:
        return CHALLENGE_RULE_PREFIX + self.challenge_id

    def is_live(self, moment: datetime) -> bool:
        return (
            self.enabled
            and (self.active_from is None or self.active_from <= moment)
            and (self.active_until is None or moment < self.active_until)
        )

    def text(self, texts: Mapping[str, str], language: str) -> str:
        return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


@dataclass(slots=True)
class Progress:
    """A member's way through one challenge."""

    started: str  # the moment of the first step (ISO)
    count: int = 0  # steps towards the target (the streak's length, categories seen ...)
    last: str = ""  # the week (YYYY-Www) or day of the last step
    seen: list[str] = field(default_factory=list)  # the categories counted
    completed_at: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """What one event did to one member's challenge: progress (for the counts the console
    shows), and whether it completed it or left one step."""

    challenge: Challenge
    member_id: str
    count: int
    at: datetime
    joined: bool = False  # the member's first step
    since: datetime | None = None  # the first step of the member's way (window) through it
    completed: bool = False
    one_left: bool = False
    language: str = "en"


def week_of(moment: datetime, zone: str) -> tuple[int, int]:
    """The ISO year and week of ``moment`` in the member's time zone."""
    local = moment.astimezone(_zone(zone))
    year, week, _ = local.isocalendar()
    return year, week


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _week_key(year: int, week: int) -> str:
    return f"{year:04d}-W{week:02d}"


def previous_week(year: int, week: int) -> str:
    monday = date.fromisocalendar(year, week, 1) - timedelta(days=7)
    y, w, _ = monday.isocalendar()
    return _week_key(y, w)


def advance(
    challenge: Challenge,
    held: Mapping[str, Progress],
    member_id: str,
    moment: datetime,
    *,
    categories: tuple[str, ...] = (),
    zone: str = "UTC",
) -> tuple[Progress, bool] | None:
    """The member's progress after a step (an event that counts) at ``moment``, and whether it
    moved; None when it does not count (completed already, outside the window)."""
    if not challenge.is_live(moment):
        return None
    progress = held.get(challenge.challenge_id)
    if progress is not None and progress.completed_at is not None:
        return None  # earned once
    if progress is not None and challenge.rolling_days is not None:
        started = datetime.fromisoformat(progress.started)
        if moment >= started + timedelta(days=challenge.rolling_days):
            progress = None  # the member's window ran out: a new one starts with this step
    if progress is None:
        progress = Progress(started=moment.isoformat())
    before = progress.count
    match challenge.goal:
        case Goal.COUNT:
            progress.count += 1
            progress.last = moment.date().isoformat()
        case Goal.WEEKS_IN_A_ROW:
            year, week = week_of(moment, zone)
            key = _week_key(year, week)
            if key != progress.last:
                in_a_row = progress.last == previous_week(year, week)
                if key > progress.last:  # (a late event from an earlier week changes nothing)
                    progress.count = progress.count + 1 if in_a_row else 1
                    progress.last = key
        case Goal.CATEGORIES:
            for category in categories:
                if category not in progress.seen:
                    progress.seen.append(category)
            progress.count = len(progress.seen)
            progress.last = moment.date().isoformat()
    return progress, progress.count != before or before == 0
