"""The map's policies: incident priority rules and burn rules per tier (`policies:`).

`map_policies`: one row holding the section as the map file writes it; no row means the
built-in defaults.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_map_policies")),
    )


def downgrade() -> None:
    op.drop_table("map_policies")
