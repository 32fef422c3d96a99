"""Named cluster jobs: the table of `bsm serve`, each run at most once per period across
every replica.

    table = job_table(settings, store, incidents, digests)   # health_checks, reconcile, ...
    jobs = ClusterJobs(store.job_records, metrics)
    jobs.run("sync_due", 60, sync)                         # "ok", "error" or "skipped"
    jobs.schedule(scheduler, ClusterJob("sync_due", 60, sync))

Every replica's scheduler fires each job at the same wall-clock instants (interval triggers
aligned on the epoch). A run first takes the job's try-lock (`store.JobRecords.hold`: a
PostgreSQL advisory lock, released when the run ends or its connection dies), then reads
the last period the job completed: when another replica already completed this period, it
skips. Only a completed run records its period, so a run that failed or died is taken
again by the next replica that fires.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from bot.metrics import Metrics
from store import JobRecords, Store

if TYPE_CHECKING:  # APScheduler, httpx and the pollers load when the scheduler is built
    from apscheduler.schedulers.base import BaseScheduler

    from bot.pollers import Pollers
    from bot.settings import Settings
    from bot.webhooks import IncidentRuntime
    from services.announce import Announcer
    from services.burn import BurnWatch
    from services.digests import DigestService
    from services.reports import MonthlyReports

log = logging.getLogger(__name__)

HEALTH_CHECKS_EVERY_S = 30.0
RECONCILE_EVERY_S = 15.0  # webhooks reconcile at once; this catches what a dead replica left
BURN_CHECK_EVERY_S = 60.0  # the fastest rule's short window is 5 minutes
ANNOUNCE_EVERY_S = 60.0  # maintenance announcements go out within a minute of their lead

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # interval triggers start here: same instants everywhere


@dataclass(frozen=True, slots=True)
class ClusterJob:
    """One line of the job table: a name (its lock, period record and metric label), how
    often, and what to run."""

    name: str
    every_s: float
    run: Callable[[], object]


class ClusterJobs:
    """Runs named jobs at most once per period across replicas; counts runs in `metrics`."""

    def __init__(
        self,
        records: JobRecords,
        metrics: Metrics,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records, self.metrics, self.clock = records, metrics, clock

    def run(self, name: str, every_s: float, job: Callable[[], object]) -> str:
        """Run `job` unless another replica runs it now or completed this period already."""
        period = int(self.clock() // every_s)
        with self.records.hold(name) as mine:
            if not mine or self.records.completed(name) >= period:
                return self._count(name, "skipped")
            try:
                job()
            except Exception:  # one failing run must not end the schedule; the next retries
                log.exception("scheduled job %s failed", name)
                return self._count(name, "error")
            self.records.complete(name, period)
        return self._count(name, "ok")

    def schedule(self, scheduler: BaseScheduler, job: ClusterJob) -> None:
        """Fire `job` every `job.every_s` seconds, at the same instants on every replica."""
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler.add_job(
            self.run,
            IntervalTrigger(seconds=job.every_s, start_date=EPOCH, timezone=UTC),
            args=[job.name, job.every_s, job.run],
            id=f"bsm.{job.name}",
            name=job.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(job.every_s)),
        )

    def schedule_all(self, scheduler: BaseScheduler, table: Sequence[ClusterJob]) -> None:
        for job in table:
            self.schedule(scheduler, job)

    def _count(self, name: str, outcome: str) -> str:
        self.metrics.scheduler_runs.inc(job=name, outcome=outcome)
        return outcome


def job_table(
    settings: Settings,
    store: Store,
    incidents: IncidentRuntime,
    digests: DigestService,
    reports: MonthlyReports | None = None,
    burn: BurnWatch | None = None,
    announcer: Announcer | None = None,
) -> list[ClusterJob]:
    """The named cluster jobs of `bsm serve`, each run once per period across replicas.

    The pollers (and their HTTP client) are made by the first job that polls, off the
    start of `bsm serve`; every polling job shares them.
    """
    pollers = _PollersOnFirstUse(incidents, settings)
    table = [
        ClusterJob("health_checks", HEALTH_CHECKS_EVERY_S, pollers.run_checks),
        ClusterJob("reconcile", RECONCILE_EVERY_S, incidents.desk.reconcile),
        ClusterJob("sync_due", settings.sync_every_s, partial(_sync_due, store, settings)),
        ClusterJob("digest_tick", settings.digest_tick_s, digests.tick),  # due, then abandoned
        ClusterJob("prune_map_changes", 3600.0, store.prune_map_changes),  # hourly: old versions
    ]
    if url := settings.alertmanager_url:
        poll = partial(pollers.poll_alertmanager, url)
        table.insert(0, ClusterJob("poll_alertmanager", settings.poll_every_s, poll))
    if burn is not None:  # error-budget burn alerts: open, update, resolve the episodes
        table.append(ClusterJob("burn_check", BURN_CHECK_EVERY_S, burn.check))
    if announcer is not None:  # planned windows told to the affected channels before they start
        table.append(ClusterJob("maintenance_announce", ANNOUNCE_EVERY_S, announcer.check))
    if reports is not None:  # last month's SLA report and risk register, once per channel
        table.append(ClusterJob("sla_report_monthly", settings.digest_tick_s, reports.tick))
        table.append(
            ClusterJob("risk_register_monthly", settings.digest_tick_s, reports.tick_risks)
        )
    return table


class _PollersOnFirstUse:
    """One `bot.pollers.Pollers` for every polling job, made when the first one runs."""

    def __init__(self, incidents: IncidentRuntime, settings: Settings) -> None:
        self._incidents, self._settings = incidents, settings
        self._pollers: Pollers | None = None
        self._lock = threading.Lock()

    def get(self) -> Pollers:
        with self._lock:
            if self._pollers is None:
                import httpx

                from bot.pollers import Pollers

                http = httpx.Client(timeout=10)
                self._pollers = Pollers(self._incidents.desk, http, policy=self._settings.outbound)
            return self._pollers

    def run_checks(self) -> object:
        return self.get().run_checks()

    def poll_alertmanager(self, base_url: str) -> object:
        return self.get().poll_alertmanager(base_url)


def _sync_due(store: Store, settings: Settings) -> None:
    from services.sync.runner import SourceAccess, run_due

    access = SourceAccess(settings.source_tokens, settings.outbound)
    for name, result in run_due(store, tokens=access):
        if isinstance(result, Exception):
            log.warning("scheduled sync of %s failed: %s", name, result)
