"""Rule sets stored by content, server-side console sessions, and an append-only audit log.

`rule_sets` keeps every validated rule set's files, addressed by version and SHA-256, so every
worker serves exactly the content of the current generation. `console_sessions` lets sign-out,
token removal and the idle limit end a console session. On PostgreSQL, triggers refuse any
UPDATE, DELETE or TRUNCATE of `audit_log` and any rewinding or deletion of `audit_head`, and the
public grants to change them are revoked (a table owner or superuser can still drop the
triggers: the keyed checkpoints outside the database catch that).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GUARD_SQL = (
    """
    CREATE OR REPLACE FUNCTION familycard_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION familycard_audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) THEN
            RAISE EXCEPTION 'audit_head only moves forward: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION familycard_audit_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION familycard_audit_append_only()",
    "CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head "
    "FOR EACH ROW EXECUTE FUNCTION familycard_audit_head_forward()",
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
    "FOR EACH STATEMENT EXECUTE FUNCTION familycard_audit_append_only()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_head FROM PUBLIC",
)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "rule_sets",
        sa.Column("version", sa.String(length=80), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("reviewer", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("last_seen_at", sa.String(length=40), nullable=False),
        sa.Column("ended_at", sa.String(length=40), nullable=True),
        sa.Column("ended_why", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in GUARD_SQL:
            op.execute(statement)


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in (("audit_log_no_change", "audit_log"), ("audit_log_no_truncate", "audit_log"),
                               ("audit_head_forward", "audit_head"), ("audit_head_no_truncate", "audit_head")):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS familycard_audit_head_forward()")
        op.execute("DROP FUNCTION IF EXISTS familycard_audit_append_only()")
    op.drop_table("console_sessions")
    op.drop_table("rule_sets")
