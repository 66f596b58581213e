"""Settings of the rules service, from ``RULES_*`` environment variables."""

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RulesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RULES_", extra="ignore")
    service = "rules"
    default_port = 8001

    max_batch_events: int = 500
    # Ingest batches (5 MiB) and rates files (5 MB, a central bank's whole history) fit.
    max_request_bytes: int = Field(default=6 * 1_048_576, ge=1024)
    ingest_ack_timeout_seconds: float = 10.0  # longer without Kafka's ack: 503, retry later
    load_default_pack: bool = True  # when the rules table is empty at start-up
    jobs_interval_seconds: float = 3600  # how often birthdays and anniversaries are checked
    processed_retention_days: int = Field(
        default=401,
        ge=401,
        description="how long ids of processed events are kept to drop repeats (an event more "
        "than 400 days old is refused anyway)",
    )
    rules_refresh_seconds: float = 5.0  # how soon a rule saved on another replica applies
    # The program report (GET /v1/report, `pointstream report`).
    currency: str = Field(default="DKK", pattern=r"^[A-Z]{3}$", description="the program's")
    point_value: Decimal = Field(
        default=Decimal("0.10"), ge=0, description="what one point costs the program"
    )
    ledger_url: str | None = Field(
        default=None, description="the ledger's base URL: adds liability and breakage"
    )
    ledger_api_key: str | None = Field(default=None, description="an admin key for the ledger")
