"""Burn episodes: one living message per business service's error-budget burn and channel.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types at this revision (never import the live schema here).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "burn_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(400), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("cleared_at", TIME, nullable=True),
        sa.Column("ts", sa.String(64), nullable=True),
        sa.Column("slack_channel", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_burn_episodes"),
        sa.UniqueConstraint(
            "service", "channel", "episode", name="uq_burn_episodes_service_channel_episode"
        ),
    )
    op.create_index("ix_burn_episodes_status", "burn_episodes", ["status"])
    op.create_index("ix_burn_episodes_opened_at", "burn_episodes", ["opened_at"])


def downgrade() -> None:
    op.drop_index("ix_burn_episodes_opened_at", table_name="burn_episodes")
    op.drop_index("ix_burn_episodes_status", table_name="burn_episodes")
    op.drop_table("burn_episodes")
