"""Time and law move decisions: the calendar date on each family, amount history, leases, roll-outs.

- `families.next_change_on`: the earliest date on which the family's decisions can change by time
  alone (`engine.clocks`); the scheduler re-evaluates every family whose date has come. Null on
  rows written before this revision: the scheduler treats them as due and fills the date in.
  `9999-12-31` means never.
- `entitlement_amounts`: each amount an entitlement has had, with the dates it was in force and
  the decision behind it, so the months of payments can be told (`GET .../payments`).
- `leases`: named leases held for a while by one worker (the calendar scheduler runs in one worker
  of one instance at a time; the others stand by and take over when a lease runs out).
- `rollouts`: the progress of re-evaluating every family after a rule change, resumable.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("families") as batch:
        batch.add_column(sa.Column("next_change_on", sa.String(10), nullable=True))
        batch.create_index("ix_families_next_change_on", ["next_change_on"])
    op.create_table(
        "entitlement_amounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("entitlement_id", sa.String(40), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("benefit", sa.String(64), nullable=False),
        sa.Column("from_date", sa.String(10), nullable=False),
        sa.Column("to_date", sa.String(10), nullable=True),
        sa.Column("amount_kzt", sa.BigInteger(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_entitlement_amounts_family", "entitlement_amounts", ["family_id", "entitlement_id"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("expires_at", sa.String(40), nullable=False),
    )
    op.bulk_insert(
        sa.table("leases", sa.column("name"), sa.column("holder"), sa.column("expires_at")),
        [{"name": "calendar", "holder": None, "expires_at": "1970-01-01T00:00:00+00:00"}],
    )
    op.create_table(
        "rollouts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("from_version", sa.String(80), nullable=False),
        sa.Column("to_version", sa.String(80), nullable=False),
        sa.Column("as_of", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),  # running | done
        sa.Column("families_total", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("reviews_opened", sa.Integer(), nullable=False),
        sa.Column("after_family_id", sa.String(64), nullable=True),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("started_by", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("rollouts")
    op.drop_table("leases")
    op.drop_index("ix_entitlement_amounts_family", table_name="entitlement_amounts")
    op.drop_table("entitlement_amounts")
    with op.batch_alter_table("families") as batch:
        batch.drop_index("ix_families_next_change_on")
        batch.drop_column("next_change_on")
