"""ORM tables of incidents: the incident, its services, timeline, notices, acknowledgements.

Created by migration 0002 (`store/migrations/versions/0002_incidents.py`); timeline facts
by 0006.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from store.schema import NAME_LENGTH, Base, JsonType, UTCDateTime

_INCIDENT_FK = ForeignKey("incidents.id", ondelete="CASCADE")


class IncidentRow(Base):
    """One incident: open until every service it hit is ok again (after dampening)."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    planned: Mapped[bool] = mapped_column(Boolean)
    causes: Mapped[list[str]] = mapped_column(JsonType)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on every change people see; part of the outbox dedup keys of that change.
    revision: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("status IN ('open', 'resolved')", name="status_valid"),)


class IncidentServiceRow(Base):
    """A business service an incident hit, with its latest state (ok once recovered)."""

    __tablename__ = "incident_services"

    incident_id: Mapped[int] = mapped_column(_INCIDENT_FK, primary_key=True)
    service: Mapped[str] = mapped_column(String(NAME_LENGTH))
    service_key: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)


class TimelineRow(Base):
    """One entry of an incident's timeline: its kind and typed facts (`TimelineEntry.facts`)."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    facts: Mapped[dict[str, Any]] = mapped_column(JsonType)


class NoticeRow(Base):
    """The one Slack message of an incident in a channel; `ts` once posted."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(200))
    ts: Mapped[str | None] = mapped_column(String(64))
    slack_channel: Mapped[str | None] = mapped_column(String(64))  # the id chat.update needs
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("incident_id", "channel", name="uq_notices_incident_channel"),
    )


class AcknowledgementRow(Base):
    __tablename__ = "acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("incident_id", "user_id", name="uq_acknowledgements_incident_user"),
    )
