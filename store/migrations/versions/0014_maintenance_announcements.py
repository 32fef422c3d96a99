"""Maintenance announcements: a window may be pre-announced to the affected channels.

`maintenance_windows.announce_s`: how long before its start; `maintenance_notices`: the
announcement, one living message per window and channel.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types at this revision (never import the live schema here).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIME = sa.DateTime(timezone=True)

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("maintenance_windows", sa.Column("announce_s", sa.Float(), nullable=True))
    op.create_table(
        "maintenance_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_key", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("facts", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("cleared_at", TIME, nullable=True),
        sa.Column("ts", sa.String(64), nullable=True),
        sa.Column("slack_channel", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_notices"),
        sa.UniqueConstraint(
            "window_key",
            "channel",
            "episode",
            name="uq_maintenance_notices_window_key_channel_episode",
        ),
    )
    op.create_index("ix_maintenance_notices_status", "maintenance_notices", ["status"])


def downgrade() -> None:
    op.drop_index("ix_maintenance_notices_status", table_name="maintenance_notices")
    op.drop_table("maintenance_notices")
    with op.batch_alter_table("maintenance_windows") as batch:
        batch.drop_column("announce_s")
