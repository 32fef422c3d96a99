"""SLA compliance reports: per business service figures over a period, for auditors.

    report = sla_compliance(store, models.current(), window, now=now)   # -> ComplianceReport

One implementation of the SLA: the store's events are replayed once over a fork of the
process's compiled model (`services.digests.measure`) and every figure comes from
`impact.sla` (`sla_report`, `incident_spans`, `availability_by_day`). This module only
assembles them with what an auditor needs beside the numbers: the maintenance windows
(reason, who set them), the period's map changes from the audit log, the previous period
for comparison, and a sha256 of the input data. Nothing here reads the wall clock into the
figures: the same period over the same data gives the same values. Wording and layout live
in `bot/render/report.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from impact.clock import utcnow
from impact.digest import previous_window
from impact.model import Component, MaintenanceWindow, StatusEvent, name_key
from impact.service_hours import as_utc, parse_service_hours
from impact.sla import IncidentSpan, SlaReport, incident_spans, sla_report
from impact.windows import Window
from services.digests import DEFAULT_TARGET, Measured, measure, replay_events
from services.model import Compiled, ModelService
from services.priorities import Risk, risk_register
from store import AuditEntry, Store

MAX_AUDIT_ENTRIES = 5000  # appendix lines read from the audit log for one period
AUDITED_ACTIONS = ("map.", "maintenance.", "component.", "dependency.", "group.")


@dataclass(frozen=True, slots=True)
class Maintenance:
    """A maintenance window that touches a service (on it or a component it depends on)."""

    component: str
    start: datetime
    end: datetime
    reason: str | None
    created_by: str | None


@dataclass(frozen=True, slots=True)
class DayStatus:
    """One local day of a service: availability (None = no data) and the budget left after it."""

    day: date
    availability: float | None
    downtime_s: float  # counted downtime that day
    budget_left_s: float  # error budget of the period left at the end of that day


@dataclass(frozen=True, slots=True)
class ServiceCompliance:
    """One business service's SLA over the period, with what explains it."""

    service: str
    title: str
    tier: int | None
    service_hours: str
    timezone: str  # the service hours' timezone (days are counted in it)
    sla: SlaReport
    previous: SlaReport
    incidents: tuple[IncidentSpan, ...]
    maintenance: tuple[Maintenance, ...]
    days: tuple[DayStatus, ...]

    @property
    def availability_change(self) -> float | None:
        """Percentage points against the previous period (None when either has no data)."""
        if self.sla.availability is None or self.previous.availability is None:
            return None
        return self.sla.availability - self.previous.availability


@dataclass(frozen=True, slots=True)
class AuditLine:
    """A map change or maintenance change of the period, from the audit log."""

    at: datetime
    actor: str
    origin: str
    action: str
    target: str | None


@dataclass(frozen=True, slots=True)
class ComplianceReport:
    """The SLA compliance report of a period: every selected service, and its provenance."""

    window: Window
    previous_window: Window
    data_as_of: datetime  # where measuring stopped: the period's end, or `now` if earlier
    map_version: int
    input_sha256: str  # over the events, maintenance windows and service terms used
    events: int  # events read for the replay
    services: tuple[ServiceCompliance, ...]
    changes: tuple[AuditLine, ...]
    maintenance: tuple[Maintenance, ...]  # every window of the period, on any component

    @property
    def complete(self) -> bool:
        """Whether the whole period has passed (else figures are as of `data_as_of`)."""
        return self.data_as_of >= self.window.end


def sla_compliance(
    store: Any,
    compiled: Compiled,
    window: Window,
    *,
    now: datetime,
    services: Sequence[str] = (),
    tier: int | None = None,
) -> ComplianceReport:
    """The report of the business services named in `services` (all when empty), optionally
    of one `tier`, over `window` as of `now`. Unknown names raise `UnknownComponent`."""
    picked = pick_services(compiled, services, tier)
    previous = previous_window(window)
    end = min(window.end, as_utc(now))
    events = replay_events(store, compiled.service_map.components, previous.start, end)
    windows: list[MaintenanceWindow] = list(store.maintenance_windows())
    measured = measure(store, compiled, picked, previous.start, end)
    rows = tuple(_service(compiled, measured, s, window, previous, now, windows) for s in picked)
    lo, hi = window.start, window.until(now).end
    return ComplianceReport(
        window=window,
        previous_window=previous,
        data_as_of=end,
        map_version=compiled.version,
        input_sha256=input_digest(events, windows, picked, window),
        events=len(events),
        services=rows,
        changes=_changes(store, lo, hi),
        maintenance=tuple(_maintenance(w) for w in windows if w.start < hi and w.end > lo),
    )


def pick_services(compiled: Compiled, names: Sequence[str], tier: int | None) -> list[Component]:
    """The business services a report covers, in map name order."""
    from impact.errors import UnknownComponent, close_names

    components = compiled.service_map.components
    business = sorted((c for c in components.values() if c.is_business), key=lambda c: c.key)
    if names:
        by_key = {c.key: c for c in business}
        picked = []
        for name in names:
            found = by_key.get(name_key(name))
            if found is None:
                raise UnknownComponent(name, close_names(name, [c.name for c in business]))
            if found not in picked:
                picked.append(found)
        business = sorted(picked, key=lambda c: c.key)
    if tier is not None:
        business = [c for c in business if c.tier == tier]
    return business


def input_digest(
    events: Sequence[StatusEvent],
    windows: Sequence[MaintenanceWindow],
    services: Sequence[Component],
    window: Window,
) -> str:
    """sha256 of a canonical JSON of everything the figures were computed from."""
    data = {
        "window": [window.start.isoformat(), window.end.isoformat()],
        "services": [[s.name, s.sla, s.service_hours, s.tier] for s in services],
        "events": sorted([e.component, e.state.value, as_utc(e.at).isoformat()] for e in events),
        "maintenance": sorted(
            [w.component, as_utc(w.start).isoformat(), as_utc(w.end).isoformat()] for w in windows
        ),
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _service(
    compiled: Compiled,
    measured: Measured,
    service: Component,
    window: Window,
    previous: Window,
    now: datetime,
    windows: Sequence[MaintenanceWindow],
) -> ServiceCompliance:
    hours = parse_service_hours(service.service_hours)
    history = measured.histories[service.name]
    report = measured.report(service, window, now)
    closure = {name_key(service.name)} | {
        name_key(n) for n in compiled.model.depends(service.name, 0).dependencies
    }
    lo, hi = window.start, report.end
    touching = tuple(
        _maintenance(w)
        for w in windows
        if name_key(w.component) in closure and w.start < hi and w.end > lo
    )
    return ServiceCompliance(
        service=service.name,
        title=service.display,
        tier=service.tier,
        service_hours=hours.text,
        timezone=str(hours.tz),
        sla=report,
        previous=measured.report(service, previous, now),
        incidents=tuple(incident_spans(history, window=window, now=now, hours=hours)),
        maintenance=touching,
        days=tuple(_days(measured, service, window, now, report)),
    )


def _days(
    measured: Measured, service: Component, window: Window, now: datetime, report: SlaReport
) -> list[DayStatus]:
    """Availability per local day, and the period's error budget left after each day."""
    history = measured.histories[service.name]
    hours = parse_service_hours(service.service_hours)
    target = service.sla or DEFAULT_TARGET
    spent = 0.0
    days = []
    for day, availability in measured.days(service, window, now):
        start = max(window.start, _midnight(day, hours))
        stop = min(_midnight(day + timedelta(days=1), hours), report.end)
        one = Window(start, max(start, stop), str(day))
        down = sla_report(history, target=target, window=one, now=now, hours=hours).downtime_s
        spent += down
        days.append(DayStatus(day, availability, down, report.error_budget_s - spent))
    return days


def _midnight(day: date, hours: Any) -> datetime:
    return as_utc(datetime(day.year, day.month, day.day, tzinfo=hours.tz))


def _maintenance(window: MaintenanceWindow) -> Maintenance:
    return Maintenance(
        window.component, as_utc(window.start), as_utc(window.end), window.reason, window.created_by
    )


def _changes(store: Any, start: datetime, end: datetime) -> tuple[AuditLine, ...]:
    log = getattr(store, "audit_log", None)
    if log is None:
        return ()
    entries: list[AuditEntry] = log(MAX_AUDIT_ENTRIES, since=start, until=end)
    kept = [e for e in entries if e.action.startswith(AUDITED_ACTIONS)]
    kept.sort(key=lambda e: (e.at, e.id))
    return tuple(AuditLine(as_utc(e.at), e.actor, e.origin, e.action, e.target) for e in kept)


# Hands a built report to its reader: `bot.report_delivery.uploader(client)` renders the PDF
# and uploads it to the user (user id, channel asked in, report); returns the file id.
Deliver = Callable[[str, str | None, ComplianceReport], str]


class ReportService:
    """Builds SLA compliance reports over the process's model and hands them on.

    `deliver` is how a report reaches a person (Slack's file upload, from the root);
    without it reports are built, never sent.
    """

    def __init__(self, store: Any, models: ModelService, *, deliver: Deliver | None = None) -> None:
        self.store, self.models, self.deliver = store, models, deliver

    def build(
        self, window: Window, *, services: Sequence[str] = (), now: datetime | None = None
    ) -> ComplianceReport:
        return sla_compliance(
            self.store, self.models.current(), window, now=now or utcnow(), services=services
        )

    def send(
        self, user_id: str, channel_id: str | None, window: Window, services: Sequence[str] = ()
    ) -> ComplianceReport:
        """Build the report of `window` and deliver it to `user_id`."""
        if self.deliver is None:
            raise RuntimeError("this report service cannot deliver: build it with deliver=...")
        built = self.build(window, services=services)
        self.deliver(user_id, channel_id, built)
        return built


@dataclass(frozen=True, slots=True)
class RiskRegister:
    """The risk register of a period: failures counted over `window`, as of its end."""

    window: Window
    risks: tuple[Risk, ...]

    @property
    def days(self) -> int:
        return round((self.window.end - self.window.start).total_seconds() / 86400)


RISKS_SHOWN = 20  # rows of the monthly risk register


def period_risks(store: Any, compiled: Compiled, window: Window) -> RiskRegister:
    """`services.priorities.risk_register` over the failures of `window`."""
    events = store.events(since=window.start, until=window.end)
    return RiskRegister(window, tuple(risk_register(compiled.model, events, top=RISKS_SHOWN)))


# Posts a built report into a channel (`bot.report_delivery.channel_poster(client)`).
PostReport = Callable[[str, ComplianceReport], str]
# Posts a risk register into a channel (`bot.report_delivery.risk_poster(client)`).
PostRisks = Callable[[str, RiskRegister], str]


class MonthlyReports:
    """The monthly SLA report and risk register of the previous month, posted once into
    each channel.

    `tick` (the SLA report) and `tick_risks` (the risk register, when `post_risks` is given)
    are cluster jobs: they may run on every replica, often. Each (channel, month) is taken
    through `store.JobRecords` under the name `sla_report:<channel>` or
    `risk_register:<channel>` (a try-lock, then the last completed month): exactly one
    replica posts a month's file into a channel, and a replica that died before completing
    leaves it to the next tick.
    """

    def __init__(
        self,
        store: Store,
        models: ModelService,
        channels: Sequence[str],
        *,
        post: PostReport,
        post_risks: PostRisks | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store, self.models, self.channels = store, models, tuple(channels)
        self.post, self.post_risks, self.clock = post, post_risks, clock

    def tick(self, now: datetime | None = None) -> list[str]:
        """Post last month's report where it has not been posted yet; returns the channels."""
        when = now or self.clock()

        def send(channel: str, window: Window) -> None:
            self.post(channel, sla_compliance(self.store, self.models.current(), window, now=when))

        return self._each_channel("sla_report", when, send)

    def tick_risks(self, now: datetime | None = None) -> list[str]:
        """Post last month's risk register where it has not been posted yet."""
        post = self.post_risks
        if post is None:
            return []

        def send(channel: str, window: Window) -> None:
            post(channel, period_risks(self.store, self.models.current(), window))

        return self._each_channel("risk_register", now or self.clock(), send)

    def _each_channel(
        self, kind: str, now: datetime, send: Callable[[str, Window], None]
    ) -> list[str]:
        from impact.windows import parse_window

        window = parse_window("last month", now)
        first = window.start
        period = first.year * 12 + first.month
        records = self.store.job_records
        posted = []
        for channel in self.channels:
            name = f"{kind}:{channel}"
            with records.hold(name) as mine:
                if not mine or records.completed(name) >= period:
                    continue
                send(channel, window)
                records.complete(name, period)
                posted.append(channel)
        return posted
