"""Tables of map synchronisation: sources and schedules, what each source reported, runs.

A source's *contribution* (`sync_items`) is what it reported on its last sync, one row per
component or edge; it is how a later sync knows what the source owns, what it stopped
reporting (stale since when) and which fields it wrote. Created by migration 0003.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from store.schema import METADATA, NAME_LENGTH, JsonType, UTCDateTime, big_id

SOURCE_NAME_LENGTH = 64  # fits the `source` / `origin` columns of the map tables


# A configured source: where it is, how often it syncs, its rules and limits.
SyncSourceRow = Table(
    "sync_sources",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String(SOURCE_NAME_LENGTH), nullable=False),
    Column("name_key", String(SOURCE_NAME_LENGTH), unique=True, nullable=False),
    Column("type", String(32), nullable=False),
    Column("url", Text, nullable=False),
    Column("every_s", Integer),
    Column("grace_s", Integer, nullable=False),
    Column("shrink_limit", Float, nullable=False),
    Column("options", JsonType, default=dict, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200)),
    Column("last_run_at", UTCDateTime),
    Column("last_status", String(16)),
    Column("last_error", Text),
)

# One component (`key` = name key) or edge (`key` = "source\ttarget") a source reported.
SyncItemRow = Table(
    "sync_items",
    METADATA,
    big_id(),
    Column("source_id", ForeignKey("sync_sources.id", ondelete="CASCADE"), nullable=False),
    Column("item", String(16), nullable=False),  # "component" | "edge"
    Column("key", String(NAME_LENGTH * 2 + 1), nullable=False),
    Column("payload", JsonType, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("stale_since", UTCDateTime),
    UniqueConstraint("source_id", "item", "key", name="uq_sync_items_key"),
)

# One sync attempt: applied, pending confirmation, confirmed, rejected, superseded, failed.
SyncRunRow = Table(
    "sync_runs",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column(
        "source_id", ForeignKey("sync_sources.id", ondelete="CASCADE"), index=True, nullable=False
    ),
    Column("source", String(SOURCE_NAME_LENGTH), nullable=False),
    Column("status", String(16), index=True, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime, index=True, nullable=False),
    Column("diff", JsonType),
    Column("error", Text),
    Column("shrink", Float),
    # The discovered map of a run held for confirmation, applied as is on `confirm`.
    Column("payload", JsonType),
)
