"""Scheduled jobs that run once per period across every replica, and the job list of `bsm serve`.

    jobs = ClusterJobs(store.engine, metrics)
    jobs.run("sync_due", 60, lambda: run_due(store))       # "ok", "error" or "skipped"
    jobs.add(scheduler, "sync_due", 60, lambda: run_due(store))

Every replica's scheduler fires each job at the same wall-clock instants (interval triggers
aligned on the epoch). A run first takes the job's lock: on PostgreSQL a session advisory
lock (`pg_try_advisory_lock`) on a dedicated connection, held while the job runs and
released when it ends or when the connection dies (a killed replica frees its locks). The
holder then reads the last period the job completed (`meta` row `job:<name>`): when another
replica already completed this period, it skips. Only a completed run records its period,
so a run that failed or died is taken again by the next replica that fires. On SQLite the
process is alone: a thread lock per job name does the same.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from bot.metrics import METRICS, Metrics
from store.database import transaction
from store.schema import MetaRow

log = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # interval triggers start here: same instants everywhere
_PERIOD_PREFIX = "job:"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name (same on every replica)."""
    digest = hashlib.blake2b(f"bsm-job:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class JobLocks:
    """Try-locks by job name, cluster-wide on PostgreSQL, process-wide on SQLite."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, name: str) -> Iterator[bool]:
        """Yield True while this process holds `name`'s lock, False when someone else does."""
        if self.engine.dialect.name != "postgresql":
            with self._guard:
                lock = self._local.setdefault(name, threading.Lock())
            got = lock.acquire(blocking=False)
            try:
                yield got
            finally:
                if got:
                    lock.release()
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


def _unlock(connection: Any, key: dict[str, int]) -> None:
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
        connection.commit()
    except DBAPIError:  # the session died with the job (database restart): so did its lock
        log.warning("job lock %s: connection lost, the lock went with it", key["key"])


class ClusterJobs:
    """Runs named jobs at most once per period across replicas; counts runs in `metrics`."""

    def __init__(
        self,
        engine: Engine,
        metrics: Metrics | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.metrics = metrics or METRICS
        self.clock = clock
        self.locks = JobLocks(engine)

    def run(self, name: str, every_s: float, job: Callable[[], object]) -> str:
        """Run `job` unless another replica runs it now or completed this period already."""
        period = int(self.clock() // every_s)
        with self.locks.hold(name) as mine:
            if not mine or self.completed(name) >= period:
                return self._count(name, "skipped")
            try:
                job()
            except Exception:  # one failing run must not end the schedule; the next retries
                log.exception("scheduled job %s failed", name)
                return self._count(name, "error")
            self._complete(name, period)
        return self._count(name, "ok")

    def add(
        self, scheduler: BaseScheduler, name: str, every_s: float, job: Callable[[], object]
    ) -> None:
        """Schedule `job` every `every_s` seconds, at the same instants on every replica."""
        scheduler.add_job(
            self.run,
            IntervalTrigger(seconds=every_s, start_date=EPOCH, timezone=UTC),
            args=[name, every_s, job],
            id=f"bsm.{name}",
            name=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(every_s)),
            replace_existing=True,
        )

    def completed(self, name: str) -> int:
        """The last period `name` completed in, anywhere (-1 when never)."""
        with self.engine.connect() as connection:
            query = select(MetaRow.value).where(MetaRow.key == _PERIOD_PREFIX + name)
            value = connection.execute(query).scalar()
        return -1 if value is None else int(value)

    def _complete(self, name: str, period: int) -> None:
        key = _PERIOD_PREFIX + name
        with transaction(self.engine) as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            connection.execute(
                dialect.insert(MetaRow).values(key=key, value=period).on_conflict_do_nothing()
            )
            connection.execute(
                update(MetaRow)
                .where(MetaRow.key == key, MetaRow.value < period)
                .values(value=period)
            )

    def _count(self, name: str, outcome: str) -> str:
        self.metrics.scheduler_runs.inc(job=name, outcome=outcome)
        return outcome


class BackgroundJobs:
    """Everything `bsm serve` runs besides answering requests, started and stopped together.

    - the incident runtime (`bot.webhooks.IncidentRuntime`): outbox drain thread, and on its
      scheduler the Alertmanager poll, health checks and reconcile (`bot.pollers.schedule`);
    - map sync of due sources (`services.sync.runner.run_due`) every `sync_every_s`;
    - SLA digests (`bot.scheduler.DigestScheduler`), which claim each period themselves.

    The interval jobs run once per period cluster-wide through `ClusterJobs`.
    """

    def __init__(
        self,
        store: Any,
        runtime: Any,
        digests: Any,
        *,
        metrics: Metrics | None = None,
        sync_every_s: float = 60.0,
    ) -> None:
        self.store, self.runtime, self.digests = store, runtime, digests
        self.metrics = metrics or METRICS
        self.jobs = ClusterJobs(store.engine, self.metrics)
        self.sync_every_s = sync_every_s

    def start(self) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

        self.runtime.start()
        self.jobs.add(self.runtime.scheduler, "sync_due", self.sync_every_s, self._sync_due)
        self.digests.scheduler.add_listener(self._digest_ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self.digests.start()

    def stop(self) -> None:
        self.digests.stop()
        self.runtime.stop()

    def _sync_due(self) -> None:
        from services.sync.runner import run_due

        for name, result in run_due(self.store):
            if isinstance(result, Exception):
                log.warning("scheduled sync of %s failed: %s", name, result)

    def _digest_ran(self, event: Any) -> None:
        """Count digest job runs ("ok" means it ran: the period may have been claimed elsewhere)."""
        if event.job_id == "digest-tick":
            job = "digest_tick"
        elif str(event.job_id).startswith("digest-"):
            job = "digest"
        else:
            return
        outcome = "error" if event.exception is not None else "ok"
        self.metrics.scheduler_runs.inc(job=job, outcome=outcome)
