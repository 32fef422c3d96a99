"""Compiled model snapshots, one per map version, and the map change log.

    snapshots = store.snapshots
    data = snapshots.load(version)          # bytes, or None (absent or corrupt)
    found = snapshots.newest(version)       # (its version, bytes) of the newest up to it
    snapshots.save(version, data)           # keeps the newest few versions only

A snapshot is opaque bytes to the store (the engine's `impact.snapshot` format); it is kept
with its SHA-256 checksum, checked on every load, so a torn or altered row reads as absent
and the caller compiles instead. Created by migration 0009.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Engine, Integer, LargeBinary, String, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from impact.clock import Clock, utcnow
from store import database
from store.schema import Base, UTCDateTime

KEEP = 2  # snapshots kept: the current version and the one before


class SnapshotRow(Base):
    """The compiled model of one map version."""

    __tablename__ = "model_snapshots"

    map_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Snapshots:
    """The stored snapshots of one database."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def load(self, version: int) -> bytes | None:
        """The snapshot of map `version` when stored and intact, else None."""
        found = self.newest(version)
        return found[1] if found is not None and found[0] == version else None

    def newest(self, version: int) -> tuple[int, bytes] | None:
        """The newest intact snapshot of a version up to `version`: (its version, bytes)."""
        query = (
            select(SnapshotRow.map_version, SnapshotRow.checksum, SnapshotRow.data)
            .where(SnapshotRow.map_version <= version)
            .order_by(SnapshotRow.map_version.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        if row is None or checksum(bytes(row.data)) != row.checksum:
            return None
        return int(row.map_version), bytes(row.data)

    def versions(self) -> list[int]:
        with self.engine.connect() as connection:
            query = select(SnapshotRow.map_version).order_by(SnapshotRow.map_version)
            return list(connection.execute(query).scalars())

    def save(self, version: int, data: bytes) -> None:
        """Store the snapshot of `version` (replacing one of that version) and drop old ones."""
        row = {
            "map_version": version,
            "checksum": checksum(data),
            "size": len(data),
            "data": data,
            "created_at": self.clock(),
        }
        with database.transaction(self.engine) as connection:
            column = SnapshotRow.map_version
            connection.execute(delete(SnapshotRow).where(column == version))
            connection.execute(insert(SnapshotRow).values(**row))
            kept = select(column).order_by(column.desc()).limit(KEEP).scalar_subquery()
            connection.execute(delete(SnapshotRow).where(column.not_in(kept)))
