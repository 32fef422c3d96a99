"""Tables of map synchronisation: sources and schedules, what each source reported, runs.

A source's *contribution* (`sync_items`) is what it reported on its last sync, one row per
component or edge; it is how a later sync knows what the source owns, what it stopped
reporting (stale since when) and which fields it wrote. Created by migration 0003.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.schema import NAME_LENGTH, Base, JsonType, UTCDateTime

SOURCE_NAME_LENGTH = 64  # fits the `source` / `origin` columns of the map tables


class SyncSourceRow(Base):
    """A configured source: where it is, how often it syncs, its rules and limits."""

    __tablename__ = "sync_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(SOURCE_NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(SOURCE_NAME_LENGTH), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    every_s: Mapped[int | None] = mapped_column(Integer)
    grace_s: Mapped[int] = mapped_column(Integer)
    shrink_limit: Mapped[float] = mapped_column(Float)
    options: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)


class SyncItemRow(Base):
    """One component (`key` = name key) or edge (`key` = "source\\ttarget") a source reported."""

    __tablename__ = "sync_items"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sync_sources.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(16))  # "component" | "edge"
    key: Mapped[str] = mapped_column(String(NAME_LENGTH * 2 + 1))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("source_id", "item", "key", name="uq_sync_items_key"),)


class SyncRunRow(Base):
    """One sync attempt: applied, pending confirmation, confirmed, rejected, superseded, failed."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sync_sources.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(SOURCE_NAME_LENGTH))
    status: Mapped[str] = mapped_column(String(16), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    diff: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    error: Mapped[str | None] = mapped_column(Text)
    shrink: Mapped[float | None] = mapped_column(Float)
    # The discovered map of a run held for confirmation, applied as is on `confirm`.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
