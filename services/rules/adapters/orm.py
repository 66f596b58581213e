"""The rules service's tables. Alembic migrations are written against this metadata."""

import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table

from shared.audit import audit_table, drafts_table
from shared.db import UtcDateTime
from shared.erasure.table import erased_members_table
from shared.outbox import outbox_table

metadata = MetaData()

processed_events = Table(
    "processed_events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("member_id", String(200), nullable=False, index=True),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("processed_at", UtcDateTime(), nullable=False),
    # The oldest are forgotten (RULES_PROCESSED_RETENTION_DAYS): BRIN, rows come in time order.
    Index("ix_processed_events_processed_at", "processed_at", postgresql_using="brin"),
)

# Every version of every rule is kept; the newest in effect (``effective_at``: NULL at once,
# a later time: scheduled) of an enabled rule is in force.
rules = Table(
    "rules",
    metadata,
    Column("rule_id", String(100), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("effective_at", UtcDateTime(), nullable=True),
)

drafts = drafts_table(metadata)  # a rule being edited, not in force: one per rule
audit = audit_table(metadata)

tiers = Table(
    "tiers",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("min_points", BigInteger, nullable=False),
    Column("names", JSON, nullable=True),  # what members read, per language
)

member_states = Table(
    "member_states",
    metadata,
    Column("member_id", String(200), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("birthday_mmdd", String(5), nullable=True, index=True),  # for the birthday job
    Column("enrolled_mmdd", String(5), nullable=True, index=True),  # for anniversaries
    # For the program report's measures (migration 0008): the tier, and in how many product
    # categories the member has bought.
    Column("tier", String(50), nullable=True),
    Column("categories", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

purchases = Table(
    "purchases",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("member_id", String(200), nullable=False, index=True),
    Column("record", JSON, nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False, index=True),
    Column("currency", String(3), nullable=True),  # for the program report (migration 0002)
    Column("paid", sa.Numeric(14, 2), nullable=True),
)

# Points granted (> 0) and taken back (< 0) per rule and UTC day, for the program report's
# points by driver, rule and campaign. Each chunk adds its own sums, in the transaction that
# decides them: append-only, one row per rule and day a chunk touched (not one per award), and
# no row that two replicas both update. The report adds them up.
award_totals = Table(
    "award_totals",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("day", sa.Date, nullable=False, index=True),
    Column("rule_id", String(100), nullable=False),
    Column("driver", String(40), nullable=True),  # NULL for a take-back: its rule's driver
    Column("points", BigInteger, nullable=False),
    Column("awards", Integer, nullable=False),  # how many grants or take-backs
    Column("funded_by", String(100), nullable=True),  # a partner paying; NULL: the program
)

# What members did besides buying (member.activity: reviews, surveys, NPS answers, app use ...),
# one row each, for the program report's engagement and NPS. Append-only.
activities = Table(
    "activities",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("member_id", String(200), nullable=False, index=True),
    Column("activity", String(40), nullable=False),
    Column("score", Integer, nullable=True),  # an NPS or survey answer, 0-10
    Column("occurred_at", UtcDateTime(), nullable=False, index=True),
)

# What one unit of a currency is worth in the program's currency, by day (a central bank's
# reference rates): purchases in another currency are counted at the rate of their day.
# Rates are set and corrected, never deleted: what ingest took with a rate keeps one.
exchange_rates = Table(
    "exchange_rates",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("day", sa.Date, primary_key=True),
    Column("rate", sa.Numeric(24, 10), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("set_by", String(200), nullable=False),
)

# Points a budgeted rule has awarded, across all members and replicas.
budgets = Table(
    "budgets",
    metadata,
    Column("rule_id", String(100), primary_key=True),
    Column("spent", BigInteger, nullable=False),
)


# A program document kept in every version, like rules (the newest is in force).
def _versioned(name: str, key: str) -> Table:
    return Table(
        name,
        metadata,
        Column(key, String(100), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("spec", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("created_by", String(200), nullable=False),
    )


# Audiences and offers, every version kept like rules'; the newest is in force.
audiences = _versioned("audiences", "audience_id")
offers = _versioned("offers", "offer_id")

# Who is in each audience now (the member's state says the same), for counts, samples and
# exports; and every entry and exit with its time ("who entered lapsing this week").
audience_members = Table(
    "audience_members",
    metadata,
    Column("audience_id", String(100), primary_key=True),
    Column("member_id", String(200), primary_key=True),
    Column("since", UtcDateTime(), nullable=False),
)
audience_moves = Table(
    "audience_moves",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("audience_id", String(100), nullable=False),
    Column("member_id", String(200), nullable=False, index=True),
    Column("entered", Boolean, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_audience_moves_audience_at", "audience_id", "at"),
)

# Each member an offer reached, treated or control, from when: the lift report's two groups.
offer_assignments = Table(
    "offer_assignments",
    metadata,
    Column("offer_id", String(100), primary_key=True),
    Column("member_id", String(200), primary_key=True),
    Column("grp", String(10), nullable=False),
    Column("assigned_at", UtcDateTime(), nullable=False),
)

# The events of the last days as the rules saw them (in the program's currency) with the
# member's facts just before: what a draft rule or offer is replayed over.
history = Table(
    "history",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("member_id", String(200), nullable=False, index=True),
    Column("event_type", String(200), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("event", JSON, nullable=False),
    Column("member", JSON, nullable=False),
    Index("ix_history_occurred_at", "occurred_at", postgresql_using="brin"),
)

# The RFM quintile boundaries among active members, as the daily pass found them (one row).
rfm_cutpoints = Table(
    "rfm_cutpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cuts", JSON, nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
)


# Challenges, partners and the ladder's stages (one document, id "default").
challenges = _versioned("challenges", "challenge_id")
partners = _versioned("partners", "partner_id")
ladders = _versioned("ladders", "ladder_id")

# Each member's way through a challenge (their state holds the same): joined, progressed,
# completed, what the completion gave; for the console's counts and cost.
challenge_members = Table(
    "challenge_members",
    metadata,
    Column("challenge_id", String(100), primary_key=True),
    Column("member_id", String(200), primary_key=True),
    Column("progress", Integer, nullable=False),
    Column("joined_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("points", BigInteger, nullable=False),
)

# Every change of a member's ladder stage: the distribution at any moment and the movement
# between two moments are read from it.
stage_moves = Table(
    "stage_moves",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("member_id", String(200), nullable=False),
    Column("previous", String(50), nullable=False),
    Column("stage", String(50), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_stage_moves_member_at", "member_id", "at"),
)

# Members who were erased, by a digest of their id: their later events are refused.
erased_members = erased_members_table(metadata)

outbox = outbox_table(metadata)
