"""Compiled model snapshots, one per map version.

    snapshots = store.snapshots
    data = snapshots.load(version)          # bytes, or None (absent or corrupt)
    for copy in snapshots.copies(version):  # the newest up to it, checked meanwhile
        ... copy.version ... copy.data ... copy.intact()
    snapshots.save(version, data)           # keeps the newest few versions only

A snapshot is opaque bytes to the store (the engine's `impact.snapshot` format); it is kept
with its SHA-256 checksum in table `model_snapshots` (migration 0009). An SQLite database
in a file also keeps each snapshot in a file beside it (`bsm.db.snapshot-VERSION`: a
64-byte header, then the bytes), written atomically (a temporary file, fsync, rename) and
used only while its version, size and checksum are those of the row: it is mapped into
memory, not read, so a start makes no copy of it. Every copy's checksum is checked on
load, in a thread while the caller decodes it (hashlib leaves the interpreter free), so a
torn or altered copy reads as absent: the database's copy, or a compile, takes over.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import mmap
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, Integer, LargeBinary, String, Table, delete, insert, select

from impact.clock import Clock, utcnow
from store import database
from store.schema import METADATA, UTCDateTime

log = logging.getLogger(__name__)
KEEP = 2  # snapshots kept: the current version and the one before
FILE_MAGIC = b"BSM-SNAPSHOT-1\n\x00"  # then version, size (8 bytes each), the SHA-256
_BINARY_READ = "SELECT data FROM model_snapshots WHERE map_version = %s AND checksum = %s"
FILE_HEADER = 64  # the bytes before the snapshot's: its arrays keep their 64-byte alignment


# The compiled model of one map version.
SnapshotRow = Table(
    "model_snapshots",
    METADATA,
    Column("map_version", Integer, primary_key=True),
    Column("checksum", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


def checksum(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Copy:
    """One stored copy of a snapshot: its bytes (a view of the mapped file, or the row's)
    and `intact()`, whether they hold the checksum stored with them (computed in a thread
    from the moment the copy is found: call it once the bytes are decoded)."""

    version: int
    data: bytes | memoryview
    intact: Callable[[], bool]
    source: str  # "file" or "database"


def _checked(version: int, data: bytes | memoryview, expected: str, source: str) -> Copy:
    result: list[bool] = []
    thread = threading.Thread(
        target=lambda: result.append(checksum(data) == expected), name="snapshot-checksum"
    )
    thread.start()

    def intact() -> bool:
        thread.join()
        return bool(result and result[0])

    return Copy(version, data, intact, source)


class Snapshots:
    """The stored snapshots of one database."""

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self.clock = clock
        self.directory, self.prefix = _beside(engine)

    def load(self, version: int) -> bytes | None:
        """The snapshot of map `version` when stored and intact, else None."""
        for copy in self.copies(version):
            if copy.version != version:
                return None  # only an older one is stored
            if copy.intact():
                return bytes(copy.data)
        return None

    def copies(self, version: int) -> Iterator[Copy]:
        """The stored copies of the newest snapshot of a version up to `version`: the file
        beside the database when it is the row's, then the row's own bytes (read only when
        asked for: a caller takes the next copy when the one before is not intact)."""
        query = (
            select(SnapshotRow.c.map_version, SnapshotRow.c.checksum, SnapshotRow.c.size)
            .where(SnapshotRow.c.map_version <= version)
            .order_by(SnapshotRow.c.map_version.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return
        stored, expected = int(row.map_version), str(row.checksum)
        mapped = self._mapped(stored, int(row.size), expected)
        if mapped is not None:
            yield _checked(stored, mapped, expected, "file")
        data = self._row_data(stored, expected)
        if data is not None:
            yield _checked(stored, data, expected, "database")

    def _row_data(self, version: int, expected: str) -> bytes | None:
        """The row's bytes; on PostgreSQL read in binary (the text protocol sends bytea
        as hex: 7 s for the 421 MB of 1M components, 1.9 s in binary)."""
        with self.engine.connect() as connection:
            if self.engine.dialect.driver == "psycopg":
                raw: Any = connection.connection.dbapi_connection
                with raw.cursor(binary=True) as cursor:
                    cursor.execute(_BINARY_READ, (version, expected))
                    found = cursor.fetchone()
                return bytes(found[0]) if found is not None else None
            read = select(SnapshotRow.c.data).where(
                SnapshotRow.c.map_version == version, SnapshotRow.c.checksum == expected
            )
            data = connection.execute(read).scalar_one_or_none()
            return bytes(data) if data is not None else None

    def versions(self) -> list[int]:
        with self.engine.connect() as connection:
            query = select(SnapshotRow.c.map_version).order_by(SnapshotRow.c.map_version)
            return list(connection.execute(query).scalars())

    def save(self, version: int, data: bytes) -> None:
        """Store the snapshot of `version` (replacing one of that version) and drop old ones."""
        digest = checksum(data)
        row = {
            "map_version": version,
            "checksum": digest,
            "size": len(data),
            "data": data,
            "created_at": self.clock(),
        }
        if self.directory is not None:
            try:
                self._write_file(version, data, digest)
            except OSError as error:  # the database's copy serves alone
                log.warning("snapshot file of map version %s not written: %s", version, error)
        with database.transaction(self.engine) as connection:
            column = SnapshotRow.c.map_version
            connection.execute(delete(SnapshotRow).where(column == version))
            connection.execute(insert(SnapshotRow).values(**row))
            kept = select(column).order_by(column.desc()).limit(KEEP).scalar_subquery()
            connection.execute(delete(SnapshotRow).where(column.not_in(kept)))
        self._drop_files(set(self.versions()))

    # -- the file beside an SQLite database ----------------------------------------------

    def path(self, version: int) -> Path | None:
        """Where the file of `version` is kept; None without one (PostgreSQL, :memory:)."""
        if self.directory is None:
            return None
        return self.directory / f"{self.prefix}{version}"

    def _mapped(self, version: int, size: int, expected: str) -> memoryview | None:
        """The bytes of the file of `version` mapped into memory, when its header names
        this version, size and checksum; None when absent or another."""
        path = self.path(version)
        if path is None:
            return None
        try:
            with path.open("rb") as file:
                if os.fstat(file.fileno()).st_size != FILE_HEADER + size:
                    return None
                mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError:
            return None
        view = memoryview(mapped)
        if bytes(view[:FILE_HEADER]) != _file_header(version, size, expected):
            return None
        return view[FILE_HEADER:]

    def _write_file(self, version: int, data: bytes, digest: str) -> None:
        path = self.path(version)
        assert path is not None
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with temporary.open("wb") as file:
                file.write(_file_header(version, len(data), digest))
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def _drop_files(self, kept: set[int]) -> None:
        """Remove the files of versions no row keeps (a mapped one stays readable)."""
        if self.directory is None:
            return
        pattern = re.compile(re.escape(self.prefix) + r"(\d+)")
        for path in self.directory.glob(f"{glob.escape(self.prefix)}*"):
            matched = pattern.fullmatch(path.name)
            if matched is not None and int(matched.group(1)) not in kept:
                path.unlink(missing_ok=True)


def _file_header(version: int, size: int, digest: str) -> bytes:
    header = FILE_MAGIC + version.to_bytes(8, "little") + size.to_bytes(8, "little")
    return header + bytes.fromhex(digest) + bytes(FILE_HEADER - len(header) - 32)


def _beside(engine: Engine) -> tuple[Path | None, str]:
    """The directory and name prefix of the snapshot files of an SQLite database file."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        return None, ""
    if url.database == ":memory:" or url.database.startswith("file:"):
        return None, ""
    path = Path(url.database).absolute()
    return path.parent, f"{path.name}.snapshot-"
