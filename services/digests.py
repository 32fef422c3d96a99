"""SLA and digests: measure services from the recorded events, build digests, post them due.

    digests = DigestService(store, models, post=poster(client))   # in the composition root
    digests.tick()                        # the cluster job: post due periods, re-take abandoned
    digests.post_now("#ops", Selector())  # `digest now` from chat

A schedule is due when its cadence fired (`impact.digest.Cadence`) at most `misfire_grace_s`
ago, after the schedule was created, and its period has no run yet: a period missed while
the bot was down by less than the grace is posted once when it is back, never once per
missed period, and one missed by more is skipped. The unique (schedule, period) claim in
`digest_runs` makes exactly one replica post it; a claim whose worker died is re-taken once
its lease has run out, so a digest is late, never lost. Replays run on a fork of the
process's one compiled model (`services.model.ModelService`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from impact.clock import utcnow
from impact.digest import Cadence, Digest, DigestBurn, build_digest, previous_window
from impact.model import Component, StatusEvent, name_key
from impact.service_hours import parse_service_hours, timezone_named
from impact.sla import History, SlaReport, availability_by_day, sla_report
from impact.timeline import service_timelines
from impact.windows import Window
from services.model import Compiled, ModelService
from store import DIGEST_LEASE_S, DigestSchedule, DigestStore, Selector, Store

log = logging.getLogger(__name__)

DEFAULT_TARGET = 99.9
LOOKBACK = timedelta(days=1)  # events read before a replay's start (see replay_events)
MISFIRE_GRACE_S = 3600.0
_NAMES_PER_QUERY = 500  # components per query: bound parameters are limited

# Posts a digest to a channel, returns the message's ts (`bot.digest.poster(client)`).
Post = Callable[[str, Digest], str]


@dataclass(frozen=True, slots=True)
class Measured:
    """Each selected service's history over a span, ready for many SLA questions."""

    services: list[Component]
    histories: dict[str, History]

    def report(self, service: Component, window: Window, now: datetime) -> SlaReport:
        return sla_report(
            self.histories[service.name],
            target=service.sla or DEFAULT_TARGET,
            window=window,
            now=now,
            hours=parse_service_hours(service.service_hours),
            service=service.name,
        )

    def days(
        self, service: Component, window: Window, now: datetime
    ) -> list[tuple[Any, float | None]]:
        hours = parse_service_hours(service.service_hours)
        return availability_by_day(
            self.histories[service.name], window=window, now=now, tz=hours.tz, hours=hours
        )


def measure(
    store: Any,
    compiled: Compiled,
    services: Sequence[Component],
    start: datetime,
    end: datetime,
    *,
    within: Collection[str] | None = None,
) -> Measured:
    """Replay the store's events once for `services` over [start, end), on a fork of
    `compiled`'s model (the replay sets states of its own).

    `within`: the components whose state can reach `services` (their dependency closure);
    only their earlier history is read for the states at `start` (all of the map's when None).
    """
    windows = getattr(store, "maintenance_windows", None)
    components = compiled.service_map.components if within is None else within
    timelines = service_timelines(
        compiled.model.fork(),
        replay_events(store, components, start, end),
        start,
        end,
        [s.name for s in services],
        maintenance=windows() if windows is not None else (),
    )
    return Measured(list(services), {name: History(t) for name, t in timelines.items()})


def replay_events(
    store: Any, components: Collection[str], start: datetime, end: datetime
) -> list[StatusEvent]:
    """The events a replay over [start, end) needs, without reading the whole history.

    The states at `start` come from each component's last reports before it: a day of
    lookback holds them for every component that reported in that day; the earlier history
    is read only for the components that did not (a quiet component's last state still holds).
    """
    if not hasattr(store, "events"):  # a map without history: every window is "no data"
        return []
    since = start - LOOKBACK
    recent: list[StatusEvent] = store.events(since=since, until=end)
    heard = {name_key(e.component) for e in recent if e.at <= start}
    quiet = [name for name in components if name_key(name) not in heard]
    older: list[StatusEvent] = []
    for first in range(0, len(quiet), _NAMES_PER_QUERY):
        older += store.events(until=since, components=quiet[first : first + _NAMES_PER_QUERY])
    return older + recent


def digest_for(
    store: Any,
    compiled: Compiled,
    selector: Selector,
    window: Window,
    previous: Window | None = None,
    *,
    now: datetime,
) -> Digest:
    """The digest of the services `selector` picks over `window`, compared with `previous`."""
    previous = previous or previous_window(window)
    services = selector.pick(compiled.service_map.components.values())
    measured = measure(store, compiled, services, previous.start, min(window.end, now))
    return build_digest(
        [measured.report(s, window, now) for s in services],
        [measured.report(s, previous, now) for s in services],
        window=window,
        previous_window=previous,
        titles={s.name: s.display for s in services},
        days={s.name: measured.days(s, window, now) for s in services},
        generated_at=now,
        burns=burns_between(store, {s.name for s in services}, window.start, min(window.end, now)),
    )


def burns_between(
    store: Any, services: Collection[str], start: datetime, end: datetime
) -> list[DigestBurn]:
    """The burn episodes of `services` open at some time in [start, end), once per episode
    (the store keeps one row per channel)."""
    episodes = getattr(store, "burn_episodes", None)
    if episodes is None:
        return []
    found: dict[tuple[str, datetime], DigestBurn] = {}
    for fact in episodes.between(start, end):
        if fact.service in services and fact.since is not None:
            burn = DigestBurn(fact.service, fact.display, fact.since, fact.ended, fact.worst)
            found.setdefault((fact.service, fact.since), burn)
    return list(found.values())


def cadence_of(schedule: DigestSchedule) -> Cadence:
    hour, minute = (int(part) for part in schedule.time.split(":"))
    return Cadence(
        schedule.cadence,
        hour,
        minute,
        timezone_named(schedule.tz),
        schedule.weekday,
        schedule.monthday,
    )


def last_seven_days(now: datetime) -> Window:
    return Window(now - timedelta(days=7), now, "last 7 days")


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class DigestService:
    """Builds digests over the process's model; claims due periods and posts them.

    `post` is how a digest reaches Slack; without it (a terminal) digests are built and
    shown, never posted. `worker` names this process in claims; a claim older than
    `lease_s` that was never marked posted counts as abandoned.
    """

    def __init__(
        self,
        store: Store,
        models: ModelService,
        *,
        post: Post | None = None,
        worker: str | None = None,
        lease_s: float = DIGEST_LEASE_S,
        misfire_grace_s: float = MISFIRE_GRACE_S,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store, self.models, self.post = store, models, post
        self.worker = worker or default_worker()
        self.lease_s, self.misfire_grace_s, self.clock = lease_s, misfire_grace_s, clock
        self.runs = 0  # periods this process tried to claim (tests and logs)
        self._lock = threading.Lock()

    @property
    def digests(self) -> DigestStore:
        return self.store.digest_schedules

    @property
    def posts(self) -> bool:
        """Whether digests reach a chat here (else they are only shown)."""
        return self.post is not None

    def digest(self, selector: Selector, window: Window, now: datetime) -> Digest:
        """The digest of `selector` over `window`, built on the process's model."""
        return digest_for(self.store, self.models.current(), selector, window, now=now)

    def business_services(self) -> list[Component]:
        """The business services of the current map."""
        components = self.models.current().service_map.components.values()
        return [c for c in components if c.is_business]

    def measure(
        self,
        services: Sequence[Component],
        start: datetime,
        end: datetime,
        *,
        within: Collection[str] | None = None,
    ) -> Measured:
        """`measure` over the process's model: histories for SLA questions."""
        return measure(self.store, self.models.current(), services, start, end, within=within)

    def next_fire(self, schedule: DigestSchedule, now: datetime) -> datetime:
        return cadence_of(schedule).next_fire(now)

    def tick(self, now: datetime | None = None) -> list[str]:
        """The cluster job: post every due period, then finish abandoned claims.

        A service that cannot post claims nothing (a claim it cannot finish would only
        delay the digest by a lease).
        """
        if self.post is None:
            return []
        now = now or self.clock()
        return [*self.run_due(now), *self.retry_abandoned(now)]

    def due(self, now: datetime) -> list[tuple[DigestSchedule, datetime]]:
        """The active schedules whose last fire is inside the grace and has no run yet."""
        fired = [(s, cadence_of(s).last_fire(now)) for s in self.digests.schedules()]
        recent = [(s, f) for s, f in fired if self._inside_grace(s, f, now)]
        keys = {(s.id, cadence_of(s).period_key(f)) for s, f in recent}
        taken = self.digests.taken(keys)
        return [(s, f) for s, f in recent if (s.id, cadence_of(s).period_key(f)) not in taken]

    def missed(self, now: datetime) -> list[DigestSchedule]:
        """Schedules whose last fire passed by more than the grace with no run: skipped."""
        fired = [(s, cadence_of(s).last_fire(now)) for s in self.digests.schedules()]
        late = [(s, f) for s, f in fired if _after_creation(s, f) and not self._within(f, now)]
        taken = self.digests.taken((s.id, cadence_of(s).period_key(f)) for s, f in late)
        return [s for s, f in late if (s.id, cadence_of(s).period_key(f)) not in taken]

    def run_due(self, now: datetime | None = None) -> list[str]:
        """Claim and post every due period (returns the posted messages' ts)."""
        now = now or self.clock()
        posted = [self._claim_and_post(s, f, now) for s, f in self.due(now)]
        return [ts for ts in posted if ts is not None]

    def run(self, schedule_id: int, now: datetime | None = None) -> str | None:
        """Post the digest of the period that fired last, unless another run claimed it."""
        now = now or self.clock()
        schedule = self.digests.get(schedule_id)
        if not schedule.active:
            return None
        return self._claim_and_post(schedule, cadence_of(schedule).last_fire(now), now)

    def retry_abandoned(self, now: datetime | None = None) -> list[str]:
        """Re-take and post claims whose worker never finished (returns the new ts)."""
        now = now or self.clock()
        posted = []
        for run in self.digests.abandoned(now, self.lease_s):
            schedule = self.digests.get(run.schedule_id)
            if self.digests.claim(run.schedule_id, run.period_key, self.worker, now, self.lease_s):
                fired = cadence_of(schedule).fire_on(date.fromisoformat(run.period_key))
                log.warning(
                    "digest %s for %s: re-taking an abandoned claim", schedule.id, run.period_key
                )
                posted.append(self._post(schedule, run.period_key, fired, now))
        return posted

    def post_now(self, channel: str, selector: Selector, window: Window | None = None) -> str:
        """Post the digest of `selector` to `channel` now (the last 7 days by default)."""
        if self.post is None:
            raise RuntimeError("this digest service has no way to post: build it with post=...")
        now = self.clock()
        return self.post(channel, self.digest(selector, window or last_seven_days(now), now))

    def _inside_grace(self, schedule: DigestSchedule, fired: datetime, now: datetime) -> bool:
        return _after_creation(schedule, fired) and self._within(fired, now)

    def _within(self, fired: datetime, now: datetime) -> bool:
        return (now - fired).total_seconds() <= self.misfire_grace_s

    def _claim_and_post(
        self, schedule: DigestSchedule, fired: datetime, now: datetime
    ) -> str | None:
        with self._lock:
            self.runs += 1
        key = cadence_of(schedule).period_key(fired)
        if not self.digests.claim(schedule.id, key, self.worker, now, self.lease_s):
            log.info("digest %s for %s: claimed elsewhere", schedule.id, key)
            return None
        return self._post(schedule, key, fired, now)

    def _post(self, schedule: DigestSchedule, key: str, fired: datetime, now: datetime) -> str:
        if self.post is None:
            raise RuntimeError("this digest service has no way to post: build it with post=...")
        window, previous = cadence_of(schedule).windows(fired)
        compiled = self.models.current()
        built = digest_for(self.store, compiled, schedule.selector, window, previous, now=now)
        ts = self.post(schedule.channel, built)
        if not self.digests.mark_posted(schedule.id, key, self.worker, ts, self.clock()):
            log.warning("digest %s for %s: posted after the lease ran out", schedule.id, key)
        return ts


def _after_creation(schedule: DigestSchedule, fired: datetime) -> bool:
    """A schedule fires first after it was created (as a cron job added then would)."""
    return schedule.created_at is None or fired >= schedule.created_at
