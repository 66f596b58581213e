"""Settings of the notification service, from ``NOTIFICATIONS_*`` environment variables."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")
    service = "notifications"
    default_port = 8003

    public_url: str = Field(
        default="http://127.0.0.1:8003",
        description="where members reach this service (unsubscribe links)",
    )
    smtp_host: str | None = None  # no SMTP host: email is not sent (deliveries give up)
    smtp_port: int = 25
    smtp_from: str = "Pointstream <loyalty@example.com>"
    smtp_tls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    push_webhook_url: str | None = None
    push_webhook_secret: str | None = None  # signs each push (HMAC-SHA256); required for push
    max_attempts: int = Field(default=6, ge=1)
    digest_window_seconds: float = Field(
        default=600, ge=0, description="earnings by email or push wait this long to be digested"
    )
    delivery_interval_seconds: float = Field(default=1.0, gt=0)
    delivery_lease_seconds: float = Field(
        default=120,
        gt=0,
        description="a delivery taken by a replica that dies is tried again after this long",
    )
    # Messages to members are not on the way to a balance: fetching fuller chunks (waiting up
    # to a quarter of a second for them) costs an inbox message that long and saves the CPU of
    # many small chunks, which the rules and the ledger need more (README, Performance).
    fetch_min_bytes: int = Field(
        default=1024 * 1024, ge=1, description="bytes a fetch waits for (up to fetch_max_wait_ms)"
    )
    fetch_max_wait_ms: int = Field(
        default=250, ge=0, le=5000, description="how long a fetch waits for fetch_min_bytes"
    )
    inbox_retention_days: int = Field(
        default=365, ge=1, description="inbox messages older than this are deleted"
    )
    delivery_retention_days: int = Field(
        default=90, ge=1, description="sent or given-up deliveries older than this are deleted"
    )
    load_default_templates: bool = True
    templates_refresh_seconds: float = Field(
        default=5.0, gt=0, description="an edited template is used by every replica within this"
    )
