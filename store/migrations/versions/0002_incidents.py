"""Incidents, notices and the outbox: alert state, unmapped alerts, acknowledgements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Frozen copies of the column types at this revision (never import the live schema here).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("alert_key", sa.String(400), nullable=False),
        sa.Column("component", sa.String(200), nullable=False),
        sa.Column("component_key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("alert_key", name=op.f("pk_alert_states")),
    )
    op.create_index("ix_alert_states_component_key", "alert_states", ["component_key"])

    op.create_table(
        "unmapped_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_key", sa.String(400), nullable=False),
        sa.Column("last_event", sa.String(400), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("first_seen", TIME, nullable=False),
        sa.Column("last_seen", TIME, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmapped_alerts")),
        sa.UniqueConstraint("alert_key", name=op.f("uq_unmapped_alerts_alert_key")),
    )

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("causes", JSON, nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("opened_at", TIME, nullable=False),
        sa.Column("recovered_at", TIME, nullable=True),
        sa.Column("resolved_at", TIME, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'resolved')", name=op.f("ck_incidents_status_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_status", "incidents", ["status"])

    op.create_table(
        "incident_services",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("service_key", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_services_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "service_key", name=op.f("pk_incident_services")),
    )

    op.create_table(
        "incident_timeline",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_timeline_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_timeline")),
    )
    op.create_index("ix_incident_timeline_incident_id", "incident_timeline", ["incident_id"])

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("ts", sa.String(64), nullable=True),
        sa.Column("slack_channel", sa.String(64), nullable=True),
        sa.Column("posted_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_notices_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("incident_id", "channel", name="uq_notices_incident_channel"),
    )

    op.create_table(
        "acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(200), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_acknowledgements_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
        sa.UniqueConstraint("incident_id", "user_id", name="uq_acknowledgements_incident_user"),
    )

    op.create_table(
        "outbox",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("dedup_key", sa.String(400), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('post', 'update', 'thread')", name=op.f("ck_outbox_kind_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_dedup_key")),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_channel_sent", "outbox", ["channel", "sent_at"])


def downgrade() -> None:
    for table in (
        "outbox",
        "acknowledgements",
        "notices",
        "incident_timeline",
        "incident_services",
        "incidents",
        "unmapped_alerts",
        "alert_states",
    ):
        op.drop_table(table)
