"""The tables, as SQLAlchemy Core metadata; the Alembic migrations create exactly these.

JSON columns hold what the API returns as documents (snapshots, explanations, effects); the
columns next to them are what the service filters and joins on. Times are ISO-8601 strings with
their offset, so SQLite and PostgreSQL store and compare them the same way (all written in UTC).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

families = sa.Table(
    "families",
    metadata,
    sa.Column("family_id", sa.String(64), primary_key=True),
    sa.Column("region", sa.String(8), nullable=False),
    sa.Column("snapshot", JSON, nullable=False),
    sa.Column("facts", JSON, nullable=False),
    sa.Column("indicators", JSON, nullable=False),
    sa.Column("last_occurred_at", sa.String(40), nullable=False),
    sa.Column("last_event_id", sa.String(128), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    # {benefit: {"id", "fingerprint"}} of the latest stored decisions (null: not yet recorded here).
    sa.Column("latest", JSON, nullable=True),
    # Goes up with every change to the record or the family's holdings (see the intake's plan ahead).
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    # The earliest date the decisions can change by time alone (engine.clocks); "9999-12-31": never,
    # null: not worked out yet (rows older than the calendar), so due.
    sa.Column("next_change_on", sa.String(10), nullable=True),
    sa.Index("ix_families_next_change_on", "next_change_on"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("family_id", sa.String(64), nullable=True, index=True),
    sa.Column("occurred_at", sa.String(40), nullable=False),
    sa.Column("received_at", sa.String(40), nullable=False),
    sa.Column("source", sa.String(100), nullable=True),
    sa.Column("payload", JSON, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("effects", JSON, nullable=False),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("event_id", sa.String(128), nullable=True, index=True),
    sa.Column("type", sa.String(40), nullable=True),
    sa.Column("received_at", sa.String(40), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("reason", JSON, nullable=False),
    sa.Column("raw_body", sa.Text, nullable=False),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("family_id", sa.String(64), nullable=False),
    sa.Column("benefit", sa.String(64), nullable=False),
    sa.Column("eligible", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("amount_kzt", sa.BigInteger, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("as_of", sa.String(10), nullable=False),
    sa.Column("ruleset_version", sa.String(80), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("change", sa.String(16), nullable=False),
    sa.Column("body", JSON, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Index("ix_decisions_family_benefit", "family_id", "benefit", "id"),
)

entitlements = sa.Table(
    "entitlements",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("family_id", sa.String(64), nullable=False),
    sa.Column("benefit", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # active | ended | granted (one-time, paid)
    sa.Column("amount_kzt", sa.BigInteger, nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("active_from", sa.String(10), nullable=False),
    sa.Column("ended_on", sa.String(10), nullable=True),
    sa.Column("decision_id", sa.Integer, nullable=False),
    sa.Column("offer_id", sa.String(40), nullable=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Index("ix_entitlements_family_benefit", "family_id", "benefit"),
)

# Each amount an entitlement has had: [from_date, to_date] (to_date null: still in force).
entitlement_amounts = sa.Table(
    "entitlement_amounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entitlement_id", sa.String(40), nullable=False),
    sa.Column("family_id", sa.String(64), nullable=False),
    sa.Column("benefit", sa.String(64), nullable=False),
    sa.Column("from_date", sa.String(10), nullable=False),
    sa.Column("to_date", sa.String(10), nullable=True),
    sa.Column("amount_kzt", sa.BigInteger, nullable=False),
    sa.Column("decision_id", sa.Integer, nullable=False),
    sa.Index("ix_entitlement_amounts_family", "family_id", "entitlement_id"),
)

offers = sa.Table(
    "offers",
    metadata,
    sa.Column("offer_id", sa.String(40), primary_key=True),
    sa.Column("family_id", sa.String(64), nullable=False, index=True),
    sa.Column("benefit", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | accepted | refused | expired | superseded | withdrawn
    sa.Column("amount_kzt", sa.BigInteger, nullable=False),
    sa.Column("period", sa.String(16), nullable=False),
    sa.Column("decision_id", sa.Integer, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("eligible_from", sa.String(10), nullable=False),
    sa.Column("trigger_event_id", sa.String(128), nullable=False),
    sa.Column("sent_at", sa.String(40), nullable=False),
    sa.Column("expires_at", sa.String(40), nullable=False),
    sa.Column("answered_at", sa.String(40), nullable=True),
    sa.Column("answer_event_id", sa.String(128), nullable=True),
    sa.Column("channel", sa.String(40), nullable=True),
    sa.Column("closed_at", sa.String(40), nullable=True),
    sa.Index("ix_offers_status_expires", "status", "expires_at"),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("review_id", sa.String(40), primary_key=True),
    sa.Column("family_id", sa.String(64), nullable=False, index=True),
    sa.Column("region", sa.String(8), nullable=False),
    sa.Column("benefit", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # grant | increase | reduction | termination
    sa.Column("status", sa.String(16), nullable=False),  # pending | approved | rejected | superseded
    sa.Column("reasons", JSON, nullable=False),
    sa.Column("previous", JSON, nullable=True),
    sa.Column("proposed", JSON, nullable=False),
    sa.Column("previous_decision_id", sa.Integer, nullable=True),
    sa.Column("proposed_decision_id", sa.Integer, nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("resolved_at", sa.String(40), nullable=True),
    sa.Column("reviewer", sa.String(100), nullable=True),
    sa.Column("resolution", sa.String(16), nullable=True),
    sa.Column("resolution_reason", sa.Text, nullable=True),
    sa.Index("ix_reviews_status_created", "status", "created_at"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("family_id", sa.String(64), nullable=False, index=True),
    sa.Column("offer_id", sa.String(40), nullable=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("sender", sa.String(16), nullable=False),
    sa.Column("recipient_iin", sa.String(12), nullable=False),
    sa.Column("text_kk", sa.Text, nullable=False),
    sa.Column("text_ru", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("family_id", sa.String(64), nullable=True, index=True),
    sa.Column("subject", sa.String(128), nullable=True),
    sa.Column("data", sa.Text, nullable=False),  # canonical JSON, hashed as stored
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# One row: the sequence number and hash of the last audit entry. Appending locks it, so the chain
# stays a line even with several workers, and deleting the tail of the log is detectable.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# One row: the rule set every worker should be serving. A reload in one worker bumps `generation`;
# the others notice it before their next evaluation and reload from the same directory.
rules_state = sa.Table(
    "rules_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("version", sa.String(80), nullable=False),
    sa.Column("reloaded_at", sa.String(40), nullable=False),
    sa.Column("reloaded_by", sa.String(100), nullable=False),
)

# Named leases: the calendar scheduler runs in whichever worker holds "calendar" (see service.leases).
leases = sa.Table(
    "leases",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("holder", sa.String(100), nullable=True),
    sa.Column("expires_at", sa.String(40), nullable=False),
)

# A roll-out of a new rule set to every stored family: progress, resumable from `after_family_id`.
rollouts = sa.Table(
    "rollouts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("from_version", sa.String(80), nullable=False),
    sa.Column("to_version", sa.String(80), nullable=False),
    sa.Column("as_of", sa.String(10), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running | done
    sa.Column("families_total", sa.Integer, nullable=False),
    sa.Column("checked", sa.Integer, nullable=False),
    sa.Column("changed", sa.Integer, nullable=False),
    sa.Column("applied", sa.Integer, nullable=False),
    sa.Column("reviews_opened", sa.Integer, nullable=False),
    sa.Column("after_family_id", sa.String(64), nullable=True),
    sa.Column("started_at", sa.String(40), nullable=False),
    sa.Column("updated_at", sa.String(40), nullable=False),
    sa.Column("started_by", sa.String(100), nullable=False),
)
