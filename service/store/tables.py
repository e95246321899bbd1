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
    # SHA-256 of the event's canonical JSON (`service.events.content_hash`); null on older rows.
    sa.Column("content_hash", sa.String(64), nullable=True),
)

# Each member's IIN and the family holding it: one person in two families is a data conflict.
member_iins = sa.Table(
    "member_iins",
    metadata,
    sa.Column("iin", sa.String(12), primary_key=True),
    sa.Column("family_id", sa.String(64), primary_key=True),
    sa.Index("ix_member_iins_family_id", "family_id"),
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
    sa.Column("status", sa.String(16), nullable=False),  # pending | relayed
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("relayed_at", sa.String(40), nullable=True),  # when the broker confirmed it (`service.relay`)
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_outbox_status_created", "status", "created_at"),
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
