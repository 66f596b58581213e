"""Settings of the rules service, from ``RULES_*`` environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class RulesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RULES_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/rules.db"
    consumer_group: str = "pointstream-rules"
    host: str = "127.0.0.1"
    port: int = 8001
    max_batch_events: int = 500
    log_level: str = "INFO"
