"""The database schema: typed SQLAlchemy ORM tables of the service map and its history.

Names are unique case-insensitively: every named row keeps its display spelling in `name`
and the comparison key (`impact.model.name_key`) in a unique `name_key` column.
Later features add tables through new Alembic revisions in `store/migrations/versions`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

# Stable constraint names keep later Alembic revisions (and SQLite batch mode) predictable.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME_LENGTH = 200


class _Json(TypeDecorator[Any]):
    """JSON, stored as JSONB on PostgreSQL: what `JSON().with_variant(JSONB(), "postgresql")`
    says, with PostgreSQL's dialect imported only by a store on PostgreSQL (about 40 ms of
    every start on SQLite otherwise)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JsonType = _Json()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ComponentRow(Base):
    """A node of the map; business services are rows of kind `business_service`."""

    __tablename__ = "components"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str | None] = mapped_column(String(400))
    owner: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(200))
    tier: Mapped[int | None] = mapped_column(Integer)
    revenue_per_hour: Mapped[float | None] = mapped_column(Float)
    service_hours: Mapped[str | None] = mapped_column(String(400))
    sla: Mapped[float | None] = mapped_column(Float)
    labels: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict)
    runbook_url: Mapped[str | None] = mapped_column(Text)
    check: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    description: Mapped[str | None] = mapped_column(Text)
    status_page: Mapped[str | None] = mapped_column(Text)  # a vendor's status page URL
    # Who contributed the row: "map" for files, a sync source name for synced maps.
    source: Mapped[str] = mapped_column(String(64), default="map")

    __table_args__ = (
        CheckConstraint("tier BETWEEN 1 AND 4", name="tier_range"),
        CheckConstraint("sla > 0 AND sla <= 100", name="sla_range"),
        CheckConstraint("revenue_per_hour >= 0", name="revenue_positive"),
    )


class DependencyRow(Base):
    """`source` depends on `target` (hard or soft)."""

    __tablename__ = "dependencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("components.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8), default="hard")
    origin: Mapped[str] = mapped_column(String(64), default="map")

    __table_args__ = (
        UniqueConstraint("source_id", "target_id", name="uq_dependencies_edge"),
        CheckConstraint("kind IN ('hard', 'soft')", name="kind_valid"),
    )


class GroupRow(Base):
    """A redundancy group: `dependant` needs `min_up` (or `min_percent` %) members up."""

    __tablename__ = "redundancy_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH * 2))
    name_key: Mapped[str] = mapped_column(String(NAME_LENGTH * 2), unique=True)
    dependant_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), index=True
    )
    min_up: Mapped[int | None] = mapped_column(Integer)
    min_percent: Mapped[float | None] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(64), default="map")

    __table_args__ = (CheckConstraint("(min_up IS NULL) <> (min_percent IS NULL)", name="one_min"),)


class GroupMemberRow(Base):
    __tablename__ = "redundancy_group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("redundancy_groups.id", ondelete="CASCADE"), primary_key=True
    )
    component_id: Mapped[int] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class StatusEventRow(Base):
    """Append-only history of observed states. Keyed by name so history outlives the map."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    component: Mapped[str] = mapped_column(String(NAME_LENGTH))
    component_key: Mapped[str] = mapped_column(String(NAME_LENGTH))
    state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    source: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_status_events_component_at", "component_key", "at"),)


class MaintenanceRow(Base):
    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    component: Mapped[str] = mapped_column(String(NAME_LENGTH))
    component_key: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    announce_s: Mapped[float | None] = mapped_column(Float)  # pre-announced this long before

    __table_args__ = (CheckConstraint('"end" >= start', name="end_after_start"),)


class SubscriptionRow(Base):
    """A Slack channel following the components matched by `selector`."""

    __tablename__ = "channel_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    selector: Mapped[str] = mapped_column(String(400))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("channel", "selector", name="uq_subscriptions_channel"),)


class AuditRow(Base):
    """Append-only record of who changed what, from chat, the CLI, a webhook or a sync."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(400), index=True)
    before: Mapped[Any | None] = mapped_column(JsonType)
    after: Mapped[Any | None] = mapped_column(JsonType)


class MetaRow(Base):
    """Small integer counters and settings, e.g. `map_version`."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class MapPoliciesRow(Base):
    """The map file's `policies:` section, as written (one row; none: the defaults)."""

    __tablename__ = "map_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[Any] = mapped_column(JsonType)


MAP_VERSION = "map_version"
# Where a change came from; checked in Python so new origins need no migration.
AUDIT_ORIGINS = ("chat", "cli", "webhook", "sync")
