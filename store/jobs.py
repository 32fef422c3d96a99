"""Cluster-job records: try-locks by job name and the last period each job completed.

    records = JobRecords(store.engine)
    with records.hold("sync_due") as mine:          # False: another replica runs it now
        if mine and records.completed("sync_due") < period:
            ...; records.complete("sync_due", period)

On PostgreSQL the lock is a session advisory lock (`pg_try_advisory_lock`) on a dedicated
connection, held while the job runs and released when it ends or when the connection dies
(a killed replica frees its locks). On SQLite the process is alone: a thread lock per name
does the same. The completed period lives in the `meta` row `job:<name>`.

`FailureCounts` keeps consecutive failed health checks per component in `meta` rows too,
so whichever replica runs the next round of checks continues the count.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from store.database import dialect_of, transaction
from store.schema import MetaRow

log = logging.getLogger(__name__)

PERIOD_PREFIX = "job:"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name (same on every replica)."""
    digest = hashlib.blake2b(f"bsm-job:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class JobRecords:
    """Try-locks and completed periods of named jobs, cluster-wide through the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """Yield True while this process holds `name`'s lock, False when someone else does."""
        if self.engine.dialect.name != "postgresql":
            with self._local_lock(name) as got:
                yield got
            return
        with self.engine.connect() as connection:
            key = {"key": lock_key(name)}
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), key).scalar())
            connection.commit()  # a session lock outlives the transaction: do not idle in one
            try:
                yield got
            finally:
                if got:
                    _unlock(connection, key)

    @contextmanager
    def _local_lock(self, name: str) -> Iterator[bool]:
        with self._guard:
            lock = self._local.setdefault(name, threading.Lock())
        got = lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                lock.release()

    def completed(self, name: str) -> int:
        """The last period `name` completed in, anywhere (-1 when never)."""
        with self.engine.connect() as connection:
            query = select(MetaRow.c.value).where(MetaRow.c.key == PERIOD_PREFIX + name)
            value = connection.execute(query).scalar()
        return -1 if value is None else int(value)

    def complete(self, name: str, period: int) -> None:
        """Record that `name` completed `period` (a later period recorded stays)."""
        key = PERIOD_PREFIX + name
        with transaction(self.engine) as connection:
            connection.execute(_insert(connection).values(key=key, value=period))
            connection.execute(
                update(MetaRow)
                .where(MetaRow.c.key == key, MetaRow.c.value < period)
                .values(value=period)
            )


def _insert(connection: Connection) -> Any:
    return dialect_of(connection).insert(MetaRow).on_conflict_do_nothing()


def _unlock(connection: Connection, key: dict[str, int]) -> None:
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
        connection.commit()
    except DBAPIError:  # the session died with the job (database restart): so did its lock
        log.warning("job lock %s: connection lost, the lock went with it", key["key"])


class FailureCounts:
    """Consecutive failed health checks per component, shared by replicas in `meta`."""

    PREFIX = "check_failures:"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def key(cls, component: str) -> str:
        """The meta key of a component (long names by digest: the key column holds 64)."""
        key = cls.PREFIX + component
        if len(key) <= 64:
            return key
        return cls.PREFIX + hashlib.blake2b(component.encode(), digest_size=16).hexdigest()

    def read(self, components: Mapping[str, object]) -> dict[str, int]:
        keys = {self.key(name): name for name in components}
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(MetaRow.c.key, MetaRow.c.value).where(MetaRow.c.key.in_(list(keys)))
            ).all()
        return {keys[key]: int(value) for key, value in rows}

    def write(self, counts: Mapping[str, int]) -> None:
        """Store non-zero counts, delete the rest (one transaction)."""
        with transaction(self.engine) as connection:
            connection.execute(
                delete(MetaRow).where(MetaRow.c.key.in_([self.key(name) for name in counts]))
            )
            rows = [{"key": self.key(n), "value": c} for n, c in counts.items() if c]
            if rows:
                connection.execute(_insert(connection), rows)
