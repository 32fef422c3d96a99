"""Initial schema: the service map, its history, subscriptions, audit log and meta counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 00:18:09.347762
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types at this revision (never import the live schema here).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=True),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target"])

    op.create_table(
        "channel_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("selector", sa.String(length=400), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_subscriptions")),
        sa.UniqueConstraint("channel", "selector", name="uq_subscriptions_channel"),
    )
    op.create_table(
        "components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=200), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("revenue_per_hour", sa.Float(), nullable=True),
        sa.Column("service_hours", sa.String(length=400), nullable=True),
        sa.Column("sla", sa.Float(), nullable=True),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("runbook_url", sa.Text(), nullable=True),
        sa.Column("check", JSON, nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.CheckConstraint("revenue_per_hour >= 0", name=op.f("ck_components_revenue_positive")),
        sa.CheckConstraint("sla > 0 AND sla <= 100", name=op.f("ck_components_sla_range")),
        sa.CheckConstraint("tier BETWEEN 1 AND 4", name=op.f("ck_components_tier_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
        sa.UniqueConstraint("name_key", name=op.f("uq_components_name_key")),
    )
    op.create_index("ix_components_kind", "components", ["kind"])

    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("component_key", sa.String(length=200), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('"end" >= start', name=op.f("ck_maintenance_windows_end_after_start")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index(
        "ix_maintenance_windows_component_key", "maintenance_windows", ["component_key"]
    )
    op.create_index("ix_maintenance_windows_end", "maintenance_windows", ["end"])

    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "status_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("component_key", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_status_events_event_id")),
    )
    op.create_index("ix_status_events_at", "status_events", ["at"])
    op.create_index("ix_status_events_component_at", "status_events", ["component_key", "at"])

    op.create_table(
        "dependencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('hard', 'soft')", name=op.f("ck_dependencies_kind_valid")),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["components.id"],
            name=op.f("fk_dependencies_source_id_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["components.id"],
            name=op.f("fk_dependencies_target_id_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependencies")),
        sa.UniqueConstraint("source_id", "target_id", name="uq_dependencies_edge"),
    )
    op.create_index("ix_dependencies_target_id", "dependencies", ["target_id"])

    op.create_table(
        "redundancy_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("name_key", sa.String(length=400), nullable=False),
        sa.Column("dependant_id", sa.Integer(), nullable=False),
        sa.Column("min_up", sa.Integer(), nullable=True),
        sa.Column("min_percent", sa.Float(), nullable=True),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "(min_up IS NULL) <> (min_percent IS NULL)", name=op.f("ck_redundancy_groups_one_min")
        ),
        sa.ForeignKeyConstraint(
            ["dependant_id"],
            ["components.id"],
            name=op.f("fk_redundancy_groups_dependant_id_components"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redundancy_groups")),
        sa.UniqueConstraint("name_key", name=op.f("uq_redundancy_groups_name_key")),
    )
    op.create_index("ix_redundancy_groups_dependant_id", "redundancy_groups", ["dependant_id"])

    op.create_table(
        "redundancy_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_redundancy_group_members_component_id_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["redundancy_groups.id"],
            name=op.f("fk_redundancy_group_members_group_id_redundancy_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "component_id", name=op.f("pk_redundancy_group_members")
        ),
    )
    op.create_index(
        "ix_redundancy_group_members_component_id", "redundancy_group_members", ["component_id"]
    )
    meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger))
    op.bulk_insert(meta, [{"key": "map_version", "value": 0}])


def downgrade() -> None:
    op.drop_table("redundancy_group_members")
    op.drop_table("redundancy_groups")
    op.drop_table("dependencies")
    op.drop_table("status_events")
    op.drop_table("meta")
    op.drop_table("maintenance_windows")
    op.drop_table("components")
    op.drop_table("channel_subscriptions")
    op.drop_table("audit_log")
