"""The console's settings, read from ``CONSOLE_*``."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    rules_url: str = "http://127.0.0.1:8001"
    ledger_url: str = "http://127.0.0.1:8002"
    notifications_url: str = "http://127.0.0.1:8003"
    # Encrypts and signs the session cookie (it holds the manager's key): set it in production.
    session_secret: str = Field(default="dev-console-session-secret-change-me", min_length=16)
    session_hours: int = Field(default=8, ge=1, le=24)
    secure_cookies: bool = Field(
        default=False, description="send the session cookie over HTTPS only (production: true)"
    )
    log_level: str = "INFO"

    def url(self, service: str) -> str:
        return {
            "rules": self.rules_url,
            "ledger": self.ledger_url,
            "notifications": self.notifications_url,
        }[service].rstrip("/")
