"""At-risk notices: one living message per redundancy group at its minimum and channel.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-02 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types at this revision (never import the live schema here).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(400), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("cleared_at", TIME, nullable=True),
        sa.Column("ts", sa.String(64), nullable=True),
        sa.Column("slack_channel", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_risk_notices"),
        sa.UniqueConstraint(
            "group_name", "channel", "episode", name="uq_risk_notices_group_name_channel_episode"
        ),
    )
    op.create_index("ix_risk_notices_status", "risk_notices", ["status"])


def downgrade() -> None:
    op.drop_index("ix_risk_notices_status", table_name="risk_notices")
    op.drop_table("risk_notices")
