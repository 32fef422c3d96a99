"""Compiled model snapshots per map version (`store.snapshots`) and the map change log
(`store.changelog`).

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_snapshots",
        sa.Column("map_version", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("map_version", name="pk_model_snapshots"),
    )
    op.create_table(
        "map_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("map_version", sa.Integer(), nullable=False),
        sa.Column("component_key", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_map_changes"),
    )
    op.create_index("ix_map_changes_map_version", "map_changes", ["map_version"])


def downgrade() -> None:
    op.drop_index("ix_map_changes_map_version", table_name="map_changes")
    op.drop_table("map_changes")
    op.drop_table("model_snapshots")
