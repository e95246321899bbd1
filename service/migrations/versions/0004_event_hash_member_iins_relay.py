"""Hardening at the edge: event content hashes, who belongs to which family, and the outbox relay.

- `events.content_hash`: the SHA-256 of the event's canonical JSON, so a redelivery with the
  same id and different content is told apart from a duplicate (null on older rows, whose hash
  is then computed from the stored event when it is needed).
- `member_iins`: each member's IIN and the family holding it, so one person in two families is
  found with one indexed read (filled from the existing snapshots here).
- `outbox.relayed_at` and `outbox.attempts`: the broker relay marks what it has published.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
    member_iins = op.create_table(
        "member_iins",
        sa.Column("iin", sa.String(12), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("iin", "family_id"),
    )
    op.create_index("ix_member_iins_family_id", "member_iins", ["family_id"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("relayed_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_outbox_status_created", "outbox", ["status", "created_at"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT family_id, snapshot FROM families")).fetchall()
    found: list[dict[str, Any]] = []
    for family_id, snapshot in rows:
        data = json.loads(snapshot) if isinstance(snapshot, str | bytes) else snapshot
        for iin in {m["iin"] for m in data.get("members", ())}:
            found.append({"iin": iin, "family_id": family_id})
    if found:
        op.bulk_insert(member_iins, found)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_outbox_status_created", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("attempts")
        batch.drop_column("relayed_at")
    op.drop_index("ix_member_iins_family_id", table_name="member_iins")
    op.drop_table("member_iins")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("content_hash")
