"""Families remember their latest decision per benefit and count their revisions.

`latest` ({benefit: {"id", "fingerprint"}}) saves the bus intake a grouped query over all of a
family's decisions on every event; null on rows written before this revision, which the intake
then reads the old way and fills in. `revision` goes up by one with every change to the record
or the family's holdings, so an event worked out before the writer lock can be checked, under
it, with one small read.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("families") as batch:
        batch.add_column(sa.Column("latest", JSON, nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("families") as batch:
        batch.drop_column("revision")
        batch.drop_column("latest")
