"""Map synchronisation: sync sources with schedules, their contributions, sync runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types at this revision (never import the live schema here).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("every_s", sa.Integer(), nullable=True),
        sa.Column("grace_s", sa.Integer(), nullable=False),
        sa.Column("shrink_limit", sa.Float(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("last_run_at", TIME, nullable=True),
        sa.Column("last_status", sa.String(16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_sources")),
        sa.UniqueConstraint("name_key", name=op.f("uq_sync_sources_name_key")),
    )
    op.create_table(
        "sync_items",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(16), nullable=False),
        sa.Column("key", sa.String(401), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("first_seen", TIME, nullable=False),
        sa.Column("stale_since", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sync_sources.id"],
            name=op.f("fk_sync_items_source_id_sync_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_items")),
        sa.UniqueConstraint("source_id", "item", "key", name="uq_sync_items_key"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("diff", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("shrink", sa.Float(), nullable=True),
        sa.Column("payload", JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sync_sources.id"],
            name=op.f("fk_sync_runs_source_id_sync_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index("ix_sync_runs_source_id", "sync_runs", ["source_id"])
    op.create_index("ix_sync_runs_status", "sync_runs", ["status"])
    op.create_index("ix_sync_runs_at", "sync_runs", ["at"])


def downgrade() -> None:
    op.drop_table("sync_runs")
    op.drop_table("sync_items")
    op.drop_table("sync_sources")
