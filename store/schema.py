"""The database schema: SQLAlchemy Core tables of the service map and its history.

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
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
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


# Every table of the store (the migrations in `store/migrations/versions` create them).
METADATA = MetaData(naming_convention=NAMING)


def big_id() -> Column[int]:
    """A 64-bit autoincrementing id (SQLite's rowid alias is INTEGER)."""
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


# A node of the map; business services are rows of kind `business_service`.
ComponentRow = Table(
    "components",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("name_key", String(NAME_LENGTH), unique=True, nullable=False),
    Column("kind", String(64), index=True, nullable=False),
    Column("title", String(400)),
    Column("owner", String(200)),
    Column("channel", String(200)),
    Column("tier", Integer),
    Column("revenue_per_hour", Float),
    Column("service_hours", String(400)),
    Column("sla", Float),
    Column("labels", JsonType, default=dict, nullable=False),
    Column("runbook_url", Text),
    Column("check", JsonType),
    Column("description", Text),
    Column("status_page", Text),  # a vendor's status page URL
    # Who contributed the row: "map" for files, a sync source name for synced maps.
    Column("source", String(64), default="map", nullable=False),
    CheckConstraint("tier BETWEEN 1 AND 4", name="tier_range"),
    CheckConstraint("sla > 0 AND sla <= 100", name="sla_range"),
    CheckConstraint("revenue_per_hour >= 0", name="revenue_positive"),
)

# `source` depends on `target` (hard or soft).
DependencyRow = Table(
    "dependencies",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("source_id", ForeignKey("components.id", ondelete="CASCADE"), nullable=False),
    Column(
        "target_id", ForeignKey("components.id", ondelete="CASCADE"), index=True, nullable=False
    ),
    Column("kind", String(8), default="hard", nullable=False),
    Column("origin", String(64), default="map", nullable=False),
    UniqueConstraint("source_id", "target_id", name="uq_dependencies_edge"),
    CheckConstraint("kind IN ('hard', 'soft')", name="kind_valid"),
)

# A redundancy group: `dependant` needs `min_up` (or `min_percent` %) members up.
GroupRow = Table(
    "redundancy_groups",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(NAME_LENGTH * 2), nullable=False),
    Column("name_key", String(NAME_LENGTH * 2), unique=True, nullable=False),
    Column(
        "dependant_id", ForeignKey("components.id", ondelete="CASCADE"), index=True, nullable=False
    ),
    Column("min_up", Integer),
    Column("min_percent", Float),
    Column("origin", String(64), default="map", nullable=False),
    CheckConstraint("(min_up IS NULL) <> (min_percent IS NULL)", name="one_min"),
)

GroupMemberRow = Table(
    "redundancy_group_members",
    METADATA,
    Column("group_id", ForeignKey("redundancy_groups.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "component_id",
        ForeignKey("components.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("position", Integer, nullable=False),
)

# Append-only history of observed states. Keyed by name so history outlives the map.
StatusEventRow = Table(
    "status_events",
    METADATA,
    big_id(),
    Column("component", String(NAME_LENGTH), nullable=False),
    Column("component_key", String(NAME_LENGTH), nullable=False),
    Column("state", String(16), nullable=False),
    Column("at", UTCDateTime, index=True, nullable=False),
    Column("source", String(64), nullable=False),
    Column("summary", Text),
    Column("event_id", String(200), unique=True),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_status_events_component_at", "component_key", "at"),
)

MaintenanceRow = Table(
    "maintenance_windows",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("component", String(NAME_LENGTH), nullable=False),
    Column("component_key", String(NAME_LENGTH), index=True, nullable=False),
    Column("start", UTCDateTime, nullable=False),
    Column("end", UTCDateTime, index=True, nullable=False),
    Column("reason", Text),
    Column("created_by", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("announce_s", Float),  # pre-announced this long before
    CheckConstraint('"end" >= start', name="end_after_start"),
)

# A Slack channel following the components matched by `selector`.
SubscriptionRow = Table(
    "channel_subscriptions",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("selector", String(400), nullable=False),
    Column("created_by", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("channel", "selector", name="uq_subscriptions_channel"),
)

# Append-only record of who changed what, from chat, the CLI, a webhook or a sync.
AuditRow = Table(
    "audit_log",
    METADATA,
    big_id(),
    Column("at", UTCDateTime, index=True, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(400), index=True),
    Column("before", JsonType),
    Column("after", JsonType),
)

# Small integer counters and settings, e.g. `map_version`.
MetaRow = Table(
    "meta",
    METADATA,
    Column("key", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# The map file's `policies:` section, as written (one row; none: the defaults).
MapPoliciesRow = Table(
    "map_policies",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("document", JsonType, nullable=False),
)


MAP_VERSION = "map_version"
# Where a change came from; checked in Python so new origins need no migration.
AUDIT_ORIGINS = ("chat", "cli", "webhook", "sync")
