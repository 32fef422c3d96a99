"""Core tables of incidents: the incident, its services, timeline, notices, acknowledgements.

Created by migration 0002 (`store/migrations/versions/0002_incidents.py`); timeline facts
by 0006.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from store.schema import METADATA, NAME_LENGTH, JsonType, UTCDateTime, big_id

# One incident: open until every service it hit is ok again (after dampening).
IncidentRow = Table(
    "incidents",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("status", String(16), index=True, nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("causes", JsonType, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("recovered_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    # Bumped on every change people see; part of the outbox dedup keys of that change.
    Column("revision", Integer, nullable=False),
    CheckConstraint("status IN ('open', 'resolved')", name="status_valid"),
)

# A business service an incident hit, with its latest state (ok once recovered).
IncidentServiceRow = Table(
    "incident_services",
    METADATA,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("service", String(NAME_LENGTH), nullable=False),
    Column("service_key", String(NAME_LENGTH), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("position", Integer, nullable=False),
)

# One entry of an incident's timeline: its kind and typed facts (`TimelineEntry.facts`).
TimelineRow = Table(
    "incident_timeline",
    METADATA,
    big_id(),
    Column(
        "incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), index=True, nullable=False
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("facts", JsonType, nullable=False),
)

# The one Slack message of an incident in a channel; `ts` once posted.
NoticeRow = Table(
    "notices",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(200), nullable=False),
    Column("ts", String(64)),
    Column("slack_channel", String(64)),  # the id chat.update needs
    Column("posted_at", UTCDateTime),
    UniqueConstraint("incident_id", "channel", name="uq_notices_incident_channel"),
)

AcknowledgementRow = Table(
    "acknowledgements",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("incident_id", "user_id", name="uq_acknowledgements_incident_user"),
)
