"""Settings every service shares: Kafka, auth, and the base of each service's own."""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.contracts.topics import Topics

Role = Literal["api", "workers"]
ROLES: frozenset[Role] = frozenset({"api", "workers"})


def parse_roles(text: str) -> frozenset[Role]:
    """``api``, ``workers`` or both (``api,workers``, the default): what this process runs.
    API replicas and worker replicas of one service then scale apart."""
    named = {r.strip() for r in text.split(",") if r.strip()}
    roles = frozenset(r for r in ROLES if r in named)
    if not named or len(roles) != len(named):
        raise ValueError(f"roles must be api, workers or api,workers; got {text!r}")
    return roles


class ServiceSettings(BaseSettings):
    """What every service's settings have, read from ``<SERVICE>_*``. A service's class sets
    its ``env_prefix``, its ``service`` name and ``default_port``, and adds its own fields."""

    model_config = SettingsConfigDict(extra="ignore")
    service: ClassVar[str]
    default_port: ClassVar[int]

    database_url: str = Field(
        default="",
        description="empty: SQLite in var/<service>.db; postgresql:// (as CloudNativePG and "
        "most platforms write it) means postgresql+asyncpg://",
    )
    consumer_group: str = Field(default="", description="empty: pointstream-<service>")
    host: str = Field(default="127.0.0.1", description="the address HTTP binds to")
    port: int = Field(
        default=0, ge=0, le=65535, description="0: the service's own (8001, 8002, 8003)"
    )
    log_level: str = Field(default="INFO", description="of the JSON logs on stdout")
    max_request_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="a request body over this is refused with 413 as it arrives, before it is "
        "parsed or its caller authenticated",
    )
    roles: Annotated[frozenset[Role], NoDecode] = Field(
        default=ROLES,
        description="what this process runs: api (HTTP), workers (consumers, relay, jobs), or both",
    )

    @field_validator("roles", mode="before")
    @classmethod
    def _roles(cls, value: Any) -> Any:
        return parse_roles(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _service_defaults(self) -> "ServiceSettings":
        self.database_url = _async_driver(
            self.database_url or f"sqlite+aiosqlite:///var/{self.service}.db"
        )
        self.consumer_group = self.consumer_group or f"pointstream-{self.service}"
        self.port = self.port or self.default_port
        return self


def _async_driver(url: str) -> str:
    """A plain PostgreSQL URL (``postgresql://``, ``postgres://``) with the driver the
    services use; any other URL as it is."""
    scheme, separator, rest = url.partition("://")
    if separator and scheme in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    return url


class KafkaSettings(BaseSettings):
    """Read from ``KAFKA_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = Field(default="127.0.0.1:9092", description="the brokers")
    topic_prefix: str = Field(
        default="", description="before every topic's name (several systems on one cluster)"
    )
    topic_partitions: int = Field(
        default=6, ge=1, description="partitions of each topic the services create"
    )
    replication_factor: int | None = Field(
        default=None,
        ge=1,
        description="replicas of each topic the services create; unset: 3 on a cluster of "
        "three or more brokers (min.insync.replicas 2), else 1",
    )
    max_batch: int = Field(
        default=500, ge=1, description="records per consumer fetch: one chunk, one transaction"
    )
    # A consumer that keeps up would otherwise fetch a handful of records at a time, and pay a
    # transaction, its queries and an offset commit for each handful: waiting up to 25 ms for
    # 64 KiB makes chunks of tens to hundreds of records at a small cost in latency.
    fetch_min_bytes: int = Field(
        default=64 * 1024, ge=1, description="bytes a fetch waits for (up to fetch_max_wait_ms)"
    )
    fetch_max_wait_ms: int = Field(
        default=25, ge=0, description="how long a fetch waits for fetch_min_bytes"
    )
    # A relay publishes hundreds of messages at once: in batches of 16 KiB (the client's
    # default) that is dozens of produce requests, each waiting for the in-sync replicas.
    producer_batch_bytes: int = Field(
        default=256 * 1024, ge=1024, le=1024 * 1024, description="bytes per partition batch"
    )
    # Batches of JSON shrink several times with lz4, for little CPU: fewer bytes through the
    # sockets, the broker's log and every consumer's fetch (measured: docs/performance.md).
    compression_type: Literal["lz4", "zstd", "gzip", "none"] = Field(
        default="lz4", description="how producers compress their batches"
    )

    # Events carry personal data (member ids, profiles with email addresses): topics keep
    # them a week (the consumers are minutes behind, a week covers an outage); dead letters a
    # month, to be read and replayed. Set when a service creates the topic.
    retention_hours: int = Field(
        default=168, ge=1, description="how long the contract's topics keep messages"
    )
    dead_letter_retention_hours: int = Field(
        default=720, ge=1, description="how long the dead-letter topic keeps messages"
    )

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)


class AuthSettings(BaseSettings):
    """Read from ``AUTH_*``: API keys for systems, the secret that signs member tokens."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    api_keys: str = Field(
        default='[{"name": "dev", "key": "dev-key", "scopes": ["*"]}]',
        description='a JSON list of {"name", "key" or "sha256" (of the key), "scopes"}; '
        "in production by digest: printf '%s' \"$KEY\" | sha256sum",
    )
    member_token_secret: str = Field(
        default="dev-member-token-secret-change-me",
        min_length=16,
        description="signs (HS256) and checks member tokens: set it in production",
    )
    member_token_audience: str = Field(
        default="pointstream",  # an audience, not a secret
        description="the `aud` a member token must have",
    )
    # Tokens from the retailer's identity provider (RS256 or ES256), beside HS256 ones signed
    # with the secret above: the provider's keys from its JWKS, its issuer checked.
    jwks_url: str | None = Field(default=None, description="the identity provider's JWKS")
    token_issuer: str | None = Field(
        default=None, description="the identity provider's `iss`; required with jwks_url"
    )
    member_claim: str = Field(
        default="sub", min_length=1, description="the claim that holds the member id"
    )
    jwks_cache_seconds: int = Field(
        default=300,
        ge=1,
        description="how long the provider's keys are kept (a token with an "
        "unknown key fetches them again at once)",
    )

    jwks_refresh_cooldown_seconds: float = Field(
        default=30, ge=0, description="an unknown key fetches the keys again at most this often"
    )

    @model_validator(mode="after")
    def _issuer_with_jwks(self) -> "AuthSettings":
        if self.jwks_url and not self.token_issuer:
            raise ValueError("AUTH_JWKS_URL needs AUTH_TOKEN_ISSUER: whose tokens to take")
        return self
