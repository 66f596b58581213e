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
    smtp_host: str | None = Field(
        default=None, description="the mail server; none: email deliveries are given up"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="the mail server's port")
    smtp_from: str = Field(
        default="Pointstream <loyalty@example.com>", description="the sender of every email"
    )
    smtp_tls: bool = Field(default=False, description="STARTTLS to the mail server")
    smtp_username: str | None = Field(default=None, description="to log in to the mail server")
    smtp_password: str | None = Field(default=None, description="to log in to the mail server")
    push_webhook_url: str | None = Field(
        default=None, description="where push messages are posted; with the secret"
    )
    push_webhook_secret: str | None = Field(
        default=None, description="signs each push (HMAC-SHA256); required for push"
    )
    max_attempts: int = Field(default=6, ge=1, description="attempts per delivery, then given up")
    digest_window_seconds: float = Field(
        default=600, ge=0, description="earnings by email or push wait this long to be digested"
    )
    delivery_interval_seconds: float = Field(
        default=1.0, gt=0, description="how often due deliveries are looked for when idle"
    )
    delivery_lease_seconds: float = Field(
        default=120,
        gt=0,
        description="a delivery taken by a replica that dies is tried again after this long",
    )
    # Messages to members are not on the way to a balance: fetching fuller chunks (waiting up
    # to a quarter of a second for them) costs an inbox message that long and saves the CPU of
    # many small chunks, which the rules and the ledger need more (docs/performance.md).
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
    load_default_templates: bool = Field(
        default=True, description="load default_templates.yaml for kinds that have no text"
    )
    templates_refresh_seconds: float = Field(
        default=5.0, gt=0, description="an edited template is used by every replica within this"
    )
