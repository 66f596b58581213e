"""Settings of the rules service, from ``RULES_*`` environment variables."""

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RulesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RULES_", extra="ignore")
    service = "rules"
    default_port = 8001

    max_batch_events: int = Field(
        default=500, ge=1, description="the largest batch POST /v1/events takes"
    )
    max_request_bytes: int = Field(
        default=6 * 1_048_576,
        ge=1024,
        description="a request body over this is refused with 413 as it arrives: ingest "
        "batches (5 MiB) and rates files (a central bank's whole history) fit",
    )
    ingest_ack_timeout_seconds: float = Field(
        default=10.0, gt=0, description="longer without Kafka's acknowledgement: 503, retry"
    )
    load_default_pack: bool = Field(
        default=True, description="load default_pack.yaml when no rules exist at start-up"
    )
    jobs_interval_seconds: float = Field(
        default=3600,
        gt=0,
        description="how often birthdays and anniversaries are checked, and audiences "
        "refreshed (once a day, and after an audience or offer changed)",
    )
    processed_retention_days: int = Field(
        default=401,
        ge=401,
        description="how long ids of processed events are kept to drop repeats (an event more "
        "than 400 days old is refused anyway)",
    )
    history_days: int = Field(
        default=90,
        ge=1,
        le=400,
        description="how many days of events are kept (without contact details) for replaying "
        "draft rules and offers",
    )
    replay_processes: int = Field(
        default=2,
        ge=1,
        le=32,
        description="processes a replay of a draft spreads over (PostgreSQL; a draft with a "
        "budget replays in one)",
    )
    rules_refresh_seconds: float = Field(
        default=5.0, gt=0, description="how soon a rule saved on another replica applies"
    )
    # The program report (GET /v1/report, `pointstream report`).
    currency: str = Field(
        default="DKK",
        pattern=r"^[A-Z]{3}$",
        description="the program's: purchases in another are counted in it (exchange rates)",
    )
    point_value: Decimal = Field(
        default=Decimal("0.10"), ge=0, description="what one point costs the program"
    )
    ledger_url: str | None = Field(
        default=None, description="the ledger's base URL: adds liability and breakage"
    )
    ledger_api_key: str | None = Field(default=None, description="an admin key for the ledger")
