"""The console's settings, read from ``CONSOLE_*``."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="the address HTTP binds to")
    port: int = Field(default=8000, ge=1, le=65535, description="the console's port")
    rules_url: str = Field(default="http://127.0.0.1:8001", description="the rules service")
    ledger_url: str = Field(default="http://127.0.0.1:8002", description="the ledger service")
    notifications_url: str = Field(
        default="http://127.0.0.1:8003", description="the notification service"
    )
    session_secret: str = Field(
        default="dev-console-session-secret-change-me",
        min_length=16,
        description="encrypts and signs the session cookie (it holds the manager's key): "
        "set it in production",
    )
    session_hours: int = Field(default=8, ge=1, le=24, description="a sign-in lasts this long")
    secure_cookies: bool = Field(
        default=False, description="send the session cookie over HTTPS only (production: true)"
    )
    log_level: str = Field(default="INFO", description="of the JSON logs on stdout")

    def url(self, service: str) -> str:
        return {
            "rules": self.rules_url,
            "ledger": self.ledger_url,
            "notifications": self.notifications_url,
        }[service].rstrip("/")
