"""Scheduled SLA digests: APScheduler cron jobs persisted in the bot's database.

    digests = DigestScheduler.for_store(store, client)     # in `bsm serve`
    digests.start() ... digests.stop()

Each digest schedule is a cron job `digest-<id>` in the SQLAlchemy job store (table
`apscheduler_jobs`, same database), so schedules survive restarts. A job that missed its
time by less than `misfire_grace_s` (the bot was down) runs once when the bot is back
(coalesce), never once per missed period. Several replicas may fire the same job: the run
claims its period in `digest_runs` first, so exactly one posts. A replica that dies after
claiming leaves a claim that the others re-take once its lease runs out (`tick`), so the
digest is late, never lost. `tick` also adds jobs for schedules created elsewhere (the CLI,
another replica) and removes cancelled ones.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from bot.digest import post_digest
from handlers.digest_answers import cadence_of, digest_for, install_hooks
from impact.windows import Window
from store import Store
from store.digests import LEASE_S, DigestSchedule, DigestStore, Selector

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
MISFIRE_GRACE_S = 3600
TICK_S = 60
_runtime: list[DigestRuntime] = []  # the process's runtime, for jobs loaded from the database


def run_digest(schedule_id: int) -> str | None:
    """The job function of every digest schedule (referenced by name in the job store).

    Returns the posted message's ts, or None when another replica had the period.
    """
    if not _runtime:
        log.error("digest %s fired but no digest runtime is running in this process", schedule_id)
        return None
    return _runtime[0].run(schedule_id)


@dataclass
class DigestRuntime:
    """Claims a schedule's current period and posts its digest; one per process."""

    store: Store
    client: WebClient
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    lease_s: float = LEASE_S
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    runs: int = 0  # job invocations in this process (tests and logs)

    def __post_init__(self) -> None:
        self.digests = DigestStore(self.store.engine)
        self._lock = threading.Lock()

    def run(self, schedule_id: int, now: datetime | None = None) -> str | None:
        """Post the digest of the period that fired last, unless another run claimed it."""
        with self._lock:
            self.runs += 1
        now = now or self.clock()
        schedule = self.digests.get(schedule_id)
        if not schedule.active:
            return None
        cadence = cadence_of(schedule)
        fired = cadence.last_fire(now)
        key = cadence.period_key(fired)
        if not self.digests.claim(schedule_id, key, self.worker, now, self.lease_s):
            log.info("digest %s for %s: claimed elsewhere", schedule_id, key)
            return None
        return self._post(schedule, key, fired, now)

    def retry_abandoned(self, now: datetime | None = None) -> list[str]:
        """Re-take and post claims whose worker never finished (returns the new ts)."""
        now = now or self.clock()
        posted = []
        for run in self.digests.abandoned(now, self.lease_s):
            schedule = self.digests.get(run.schedule_id)
            if self.digests.claim(run.schedule_id, run.period_key, self.worker, now, self.lease_s):
                fired = cadence_of(schedule).fire_on(date.fromisoformat(run.period_key))
                log.warning(
                    "digest %s for %s: re-taking an abandoned claim",
                    run.schedule_id,
                    run.period_key,
                )
                posted.append(self._post(schedule, run.period_key, fired, now))
        return posted

    def post_now(self, channel: str, selector: Selector, window: Window | None = None) -> str:
        now = self.clock()
        shown = window or Window(now - timedelta(days=7), now, "last 7 days")
        return post_digest(self.client, channel, digest_for(self.store, selector, shown, now=now))

    def _post(self, schedule: DigestSchedule, key: str, fired: datetime, now: datetime) -> str:
        window, previous = cadence_of(schedule).windows(fired)
        digest = digest_for(self.store, schedule.selector, window, previous, now=now)
        ts = post_digest(self.client, schedule.channel, digest)
        if not self.digests.mark_posted(schedule.id, key, self.worker, ts, self.clock()):
            log.warning("digest %s for %s: posted after the lease ran out", schedule.id, key)
        return ts


class DigestScheduler:
    """The BackgroundScheduler of digest jobs, and the hooks chat answers call."""

    def __init__(
        self,
        runtime: DigestRuntime,
        *,
        misfire_grace_s: int = MISFIRE_GRACE_S,
        tick_s: float = TICK_S,
    ) -> None:
        self.runtime = runtime
        self.tick_s = tick_s
        self.scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=runtime.store.engine, tablename=JOB_TABLE),
                "local": MemoryJobStore(),
            },
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": misfire_grace_s,
                "max_instances": 1,
            },
            timezone=UTC,
        )

    @classmethod
    def for_store(cls, store: Store, client: WebClient, **options: int) -> DigestScheduler:
        return cls(DigestRuntime(store, client), **options)

    def start(self) -> None:
        """Start firing digests here; chat answers schedule through this instance."""
        _runtime[:] = [self.runtime]
        self.scheduler.start()
        self.scheduler.add_job(
            self.tick, "interval", seconds=self.tick_s, id="digest-tick", jobstore="local"
        )
        self.reconcile()
        install_hooks(self)

    def stop(self) -> None:
        install_hooks(None)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if _runtime and _runtime[0] is self.runtime:
            _runtime.clear()

    def tick(self) -> None:
        """Pick up schedules changed elsewhere and finish abandoned claims."""
        self.reconcile()
        self.runtime.retry_abandoned()

    def reconcile(self) -> None:
        """Make the jobs match the active schedules in the database."""
        active = {job_id(s.id): s for s in self.runtime.digests.schedules()}
        jobs = {job.id for job in self.scheduler.get_jobs(jobstore="default")}
        for missing in active.keys() - jobs:
            self._add(active[missing])
        for stale in {j for j in jobs if j.startswith("digest-")} - active.keys():
            self.cancelled(int(stale.removeprefix("digest-")))

    # DigestHooks
    def scheduled(self, schedule: DigestSchedule) -> datetime | None:
        job = self._add(schedule)
        return job.next_run_time if job is not None else None

    def cancelled(self, schedule_id: int) -> None:
        with contextlib.suppress(JobLookupError):  # another replica removed it first
            self.scheduler.remove_job(job_id(schedule_id), jobstore="default")

    def post_now(self, channel: str, selector: Selector) -> str:
        return self.runtime.post_now(channel, selector)

    def _add(self, schedule: DigestSchedule):  # type: ignore[no-untyped-def]
        try:
            return self.scheduler.add_job(
                run_digest,
                trigger(schedule),
                args=[schedule.id],
                id=job_id(schedule.id),
                name=f"SLA digest {schedule.id}: {schedule.when} to {schedule.channel}",
                jobstore="default",
                replace_existing=False,
            )
        except ConflictingIdError:
            return None  # another replica added it at the same moment


def job_id(schedule_id: int) -> str:
    return f"digest-{schedule_id}"


def trigger(schedule: DigestSchedule) -> CronTrigger:
    """The cron trigger of a schedule.

    A monthly day past 28 also fires on the following days and on the month's last day, so
    short months get their digest; the extra fires find the period already claimed.
    """
    hour, minute = schedule.time.split(":")
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    fields: dict[str, str] = {"hour": hour, "minute": minute}
    if schedule.cadence == "weekly":
        fields["day_of_week"] = days[schedule.weekday or 0]
    elif schedule.cadence == "monthly":
        day = schedule.monthday or 1
        fields["day"] = str(day) if day <= 28 else f"{day}-31,last"
    return CronTrigger(timezone=schedule.tz, **fields)
