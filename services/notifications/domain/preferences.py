"""A member's say in what reaches them: channels per category, language, timezone, quiet
hours. Pure: the standard library only."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.notifications.domain.notices import Category, Channel, Notice

LANGUAGES = ("en", "da", "sv")
DEFAULT_CHANNELS: dict[Category, frozenset[Channel]] = {
    Category.POINTS: frozenset({Channel.INBOX}),
    Category.REWARDS: frozenset({Channel.INBOX, Channel.EMAIL}),
    Category.TIER: frozenset({Channel.INBOX, Channel.EMAIL, Channel.PUSH}),
    Category.BIRTHDAY: frozenset({Channel.INBOX, Channel.EMAIL, Channel.PUSH}),
    Category.SERVICE: frozenset({Channel.INBOX, Channel.EMAIL}),
}


@dataclass(slots=True)
class Preferences:
    member_id: str
    language: str = "en"
    timezone: str = "UTC"
    email: str | None = None
    push_token: str | None = None
    channels: dict[Category, frozenset[Channel]] = field(
        default_factory=lambda: dict(DEFAULT_CHANNELS)
    )
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(8, 0)
    unsubscribe_token: str = ""

    def channels_for(self, notice: Notice) -> list[Channel]:
        """Where this notice goes: opted-in channels the member can be reached on."""
        wanted = set(self.channels.get(notice.category, frozenset()))
        if notice.transactional:
            wanted |= {Channel.INBOX, Channel.EMAIL}
        reachable = (
            {Channel.INBOX}
            | ({Channel.EMAIL} if self.email else set())
            | ({Channel.PUSH} if self.push_token else set())
        )
        return sorted(wanted & reachable)

    def quiet_until(self, now: datetime) -> datetime | None:
        """When the quiet hours around ``now`` end (in the member's timezone), or None."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        start = local.replace(
            hour=self.quiet_start.hour, minute=self.quiet_start.minute, second=0, microsecond=0
        )
        end = local.replace(
            hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0
        )
        if self.quiet_start <= self.quiet_end:  # e.g. 13:00-14:00
            return end.astimezone(now.tzinfo) if start <= local < end else None
        if local >= start:  # e.g. 21:00-08:00, evening
            return (end + timedelta(days=1)).astimezone(now.tzinfo)
        if local < end:  # early morning
            return end.astimezone(now.tzinfo)
        return None
