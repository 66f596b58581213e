"""The ledger's tables. ``entries`` and ``operations`` are append-only: migration 0001 adds
triggers that refuse UPDATE and DELETE on them in PostgreSQL and SQLite alike. ``balances``,
``lots`` and ``redemptions`` are running state, changed in the same transaction as the entries
that explain them.

The books never name the member: entries and operations carry the member's *account key*, an
opaque random string, and the one place that ties a key to a member id is the member's row in
``balances``. Erasing a member rewrites that row (and the other running state) to the key, so
the append-only books stay exactly as written and still add up, and no longer lead to anyone."""

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    ScalarSelect,
    String,
    Table,
    select,
)

from shared.audit import audit_table
from shared.db import UtcDateTime
from shared.erasure.table import erased_members_table
from shared.outbox import outbox_table

metadata = MetaData()
_Id = String(250)

operations = Table(
    "operations",
    metadata,
    Column("operation_id", _Id, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("account_key", String(200), nullable=False),  # balances.account_key
    Column("fingerprint", String(64), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

entries = Table(
    "entries",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("entry_id", _Id, nullable=False, unique=True),
    Column("operation_id", _Id, nullable=False),
    Column("account_key", String(200), nullable=False),  # balances.account_key
    Column("kind", String(20), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("debit_account", String(250), nullable=False),
    Column("credit_account", String(250), nullable=False),
    Column("available_after", BigInteger, nullable=False),
    Column("pending_after", BigInteger, nullable=False),
    Column("held_after", BigInteger, nullable=False),
    Column("lot_id", _Id, nullable=True),
    Column("rule_id", String(200), nullable=True),
    Column("rule_version", Integer, nullable=True),
    Column("explanation", String(500), nullable=False),
    # The ledger's own explanations (a reward, a refund) in each language members read,
    # {"da": ..., "sv": ...}; null for the rules' (written in the member's language already).
    Column("explanations", JSON, nullable=True),
    Column("source_event_id", String(200), nullable=True),
    Column("actor", String(200), nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    CheckConstraint("points > 0", name="ck_entries_points_positive"),
    CheckConstraint("debit_account <> credit_account", name="ck_entries_two_accounts"),
    Index("ix_entries_account_key_id", "account_key", "id"),
)

balances = Table(
    "balances",
    metadata,
    Column("member_id", String(200), primary_key=True),  # the key itself, once erased
    Column("account_key", String(200), nullable=False, unique=True),
    Column("available", BigInteger, nullable=False),
    Column("pending", BigInteger, nullable=False),
    Column("held", BigInteger, nullable=False),
    Column("lifetime_earned", BigInteger, nullable=False),
    Column("lifetime_redeemed", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("pending >= 0 AND held >= 0", name="ck_balances_not_negative"),
)

lots = Table(
    "lots",
    metadata,
    Column("lot_id", _Id, primary_key=True),
    Column("member_id", String(200), nullable=False),
    Column("source_event_id", String(200), nullable=True),
    Column("points", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("matures_at", UtcDateTime(), nullable=True),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("expired", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("reminded_at", UtcDateTime(), nullable=True),
    CheckConstraint("remaining >= 0 AND remaining <= points", name="ck_lots_remaining"),
    Index("ix_lots_member_id_status", "member_id", "status"),
    Index("ix_lots_status_matures_at", "status", "matures_at"),
    Index("ix_lots_status_expires_at", "status", "expires_at"),
)

redemptions = Table(
    "redemptions",
    metadata,
    Column("redemption_id", _Id, primary_key=True),
    Column("member_id", String(200), nullable=False, index=True),
    Column("points", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("description", String(500), nullable=False),
    Column("hold_expires_at", UtcDateTime(), nullable=True),
    Column("allocations", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_redemptions_status_hold_expires_at", "status", "hold_expires_at"),
)

rewards = Table(
    "rewards",
    metadata,
    Column("reward_id", String(100), primary_key=True),
    Column("spec", JSON, nullable=False),  # the catalogue entry as the admin API takes it
    Column("stock_left", BigInteger, nullable=True),  # None: unlimited
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("stock_left IS NULL OR stock_left >= 0", name="ck_rewards_stock"),
)

vouchers = Table(
    "vouchers",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("reward_id", String(100), nullable=False),
    Column("member_id", String(200), nullable=False),
    Column("redemption_id", _Id, nullable=False, unique=True),
    Column("points", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("used_where", String(200), nullable=True),
    Column("used_key", String(100), nullable=True),
    Index("ix_vouchers_member_id_reward_id", "member_id", "reward_id"),
    Index("ix_vouchers_status_expires_at", "status", "expires_at"),
)

# Members' tiers as the rules service announces them (member.tier_changed), for tier-gated
# rewards.
member_tiers = Table(
    "member_tiers",
    metadata,
    Column("member_id", String(200), primary_key=True),
    Column("tier", String(50), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
)

# Rewards an offer made cheaper for a member (the rules' offer.granted): the price while the
# offer runs. The cheapest one that runs applies.
member_prices = Table(
    "member_prices",
    metadata,
    Column("member_id", String(200), primary_key=True),
    Column("reward_id", String(100), primary_key=True),
    Column("offer_id", String(100), primary_key=True),
    Column("points", BigInteger, nullable=False),
    Column("valid_until", UtcDateTime(), nullable=True),
    Column("granted_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)

# Members who were erased, by a digest of their id: later commands for them are refused.
erased_members = erased_members_table(metadata)
# A keyed request refused (too few points, a reward not to be had): kept under its operation
# id like a success, so a later request with the same key (a till's retry, or a stale copy a
# stalled replica carries out after the till was answered) gets the same refusal. No member
# id: the operation id is derived from the member and the key.
refusals = Table(
    "refusals",
    metadata,
    Column("operation_id", _Id, primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("error", String(50), nullable=False),
    Column("detail", String(1000), nullable=False),
    Column("refused_at", UtcDateTime(), nullable=False),
)

audit = audit_table(metadata)  # changes to the catalogue: who, when, before and after


def account_key_of(member_id: str) -> ScalarSelect[str]:
    """The member's account key, as a subquery: ``entries.c.account_key == account_key_of(m)``."""
    return select(balances.c.account_key).where(balances.c.member_id == member_id).scalar_subquery()
