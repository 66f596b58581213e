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
    Category.OFFERS: frozenset({Channel.INBOX, Channel.EMAIL, Channel.PUSH}),
    Category.CHALLENGES: frozenset({Channel.INBOX, Channel.PUSH}),
}


@dataclass(slots=True)
class Preferences:
    member_id: str
    language: str = "en"
    timezone: str = "UTC"
    email: str | None = None
    push_token: str | None = None
    phone: str | None = None  # E.164, for finding the member (no SMS is sent)
    channels: dict[Category, frozenset[Channel]] = field(
        default_factory=lambda: dict(DEFAULT_CHANNELS)
    )
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(8, 0)
    unsubscribe_token: str = ""
    # Consent to be sent email and push (Danish and Swedish marketing law): never assumed.
    # A member with no stored preferences has given none; the app's preferences and an
    # enrolment give it when they say so. Receipts (a voucher) are service messages: they
    # need none.
    email_consent: bool = False
    push_consent: bool = False
    stated_at: datetime | None = None  # when the member last told us, in a profile event
    chosen_at: datetime | None = None  # when the member last chose, through the API

    def channels_for(self, notice: Notice) -> list[Channel]:
        """Where this notice goes: opted-in channels the member can be reached on."""
        wanted = set(self.channels.get(notice.category, frozenset()))
        if notice.transactional:
            wanted |= {Channel.INBOX, Channel.EMAIL}
        consented = notice.transactional
        reachable = (
            {Channel.INBOX}
            | ({Channel.EMAIL} if self.email and (self.email_consent or consented) else set())
            | ({Channel.PUSH} if self.push_token and (self.push_consent or consented) else set())
        )
        return sorted(wanted & reachable)

    def state(self, profile: "Profile") -> bool:
        """Take what the member told us in a profile event, unless they have said otherwise
        since: the newest statement wins, whether made at a till (the event's time) or in the
        app (the time of the API call). A replayed older event changes nothing. True if it
        applied."""
        if self.chosen_at is not None and profile.stated_at <= self.chosen_at:
            return False
        if self.stated_at is not None and profile.stated_at < self.stated_at:
            return False
        if profile.language is not None:
            self.language = message_language(profile.language)
        if profile.timezone is not None:
            self.timezone = profile.timezone
        if profile.email is not None:
            self.email = profile.email
        if profile.push_token is not None:
            self.push_token = profile.push_token
        if profile.phone is not None:
            self.phone = profile.phone
        if profile.email_consent is not None:
            self.email_consent = profile.email_consent
        if profile.push_consent is not None:
            self.push_consent = profile.push_consent
        self.stated_at = profile.stated_at
        return True

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


@dataclass(frozen=True, slots=True)
class Profile:
    """A profile event: what the member stated, when. None: not stated."""

    member_id: str
    stated_at: datetime
    language: str | None = None
    timezone: str | None = None
    email: str | None = None
    push_token: str | None = None
    phone: str | None = None
    email_consent: bool | None = None
    push_consent: bool | None = None


def message_language(language: str) -> str:
    """The language messages are written in for a member's language (``sv-SE``: Swedish; one
    we have no messages in: English, as the rules explain in English then too)."""
    base = language[:2]
    return base if base in LANGUAGES else "en"
