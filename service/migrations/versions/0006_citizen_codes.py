"""One-time sign-in codes for the family's page (simulated eGov sign-in).

Only keyed digests of the IIN and of the code are kept, with the masked IIN for the audit log;
the rows also carry what throttling and single use need (created, expires, used, attempts).
Appeals need no table: an appeal is a case in `reviews` with kind `appeal`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "citizen_codes",
        sa.Column("code_id", sa.String(40), primary_key=True),
        sa.Column("iin_digest", sa.String(64), nullable=False),
        sa.Column("member", sa.String(16), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=True),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
        sa.Column("used_at", sa.String(40), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_index("ix_citizen_codes_iin_created", "citizen_codes", ["iin_digest", "created_at"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_citizen_codes_iin_created", table_name="citizen_codes")
    op.drop_table("citizen_codes")
