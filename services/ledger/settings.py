"""Settings of the ledger service, from ``LEDGER_*`` environment variables."""

from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.ledger.domain.model import Policy
from shared.settings import ServiceSettings


class LedgerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")
    service = "ledger"
    default_port = 8002

    points_expire_after_days: float = Field(
        default=730,
        ge=0,
        description="days available points live after maturing (fractions allowed); 0: forever",
    )
    expiry_reminder_days: int = Field(
        default=30, ge=0, description="remind members this many days before points expire; 0: never"
    )
    jobs_interval_seconds: float = Field(
        default=60, gt=0, description="how often maturing, expiry and hold release run"
    )
    max_hold_seconds: int = Field(
        default=7 * 24 * 3600, gt=0, description="the longest hold a redemption may ask for"
    )
    tier_order: str = Field(
        default="base,silver,gold",
        description="the rules' tiers, lowest first, for tier-gated rewards",
    )
    load_default_rewards: bool = Field(
        default=True, description="load default_rewards.yaml when the catalogue is empty"
    )

    def tiers(self) -> list[str]:
        return [t.strip() for t in self.tier_order.split(",") if t.strip()]

    def policy(self) -> Policy:
        days = self.points_expire_after_days
        return Policy(expire_after=timedelta(days=days) if days else None)
