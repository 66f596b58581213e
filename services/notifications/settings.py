"""Settings of the notification service, from ``NOTIFICATIONS_*`` environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class NotificationsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/notifications.db"
    consumer_group: str = "pointstream-notifications"
    host: str = "127.0.0.1"
    port: int = 8003
    log_level: str = "INFO"
