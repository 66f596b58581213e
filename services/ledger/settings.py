"""Settings of the ledger service, from ``LEDGER_*`` environment variables."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class LedgerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/ledger.db"
    consumer_group: str = "pointstream-ledger"
    host: str = "127.0.0.1"
    port: int = 8002
    log_level: str = "INFO"
